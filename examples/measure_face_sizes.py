"""Measure how well faces of 150-800 px are found at native size and with the large-face pass.

Usage:
    python examples/measure_face_sizes.py PORTRAIT WEIGHTS [WEIGHTS ...]

PORTRAIT is a photo with one frontal face (the docs use two_people.jpg cut to its top-left 640x480
corner, pass `--crop 640x480`). The face is enlarged to each width and cut out with the image 2x the face
width around it. For each size the script prints the number of faces and the best IoU with the enlarged
reference box, for one native-size pass and for the default (native + large-face pass).
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from yunet.detector import FaceDetector

FACE_WIDTHS = (150, 200, 300, 400, 500, 600, 800)


def _iou(box: np.ndarray, boxes: np.ndarray) -> float:
    if len(boxes) == 0:
        return 0.0
    left, top = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    right, bottom = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return float((intersection / (union - intersection)).max())


def _measure(detector: FaceDetector, portrait: np.ndarray, name: str) -> None:
    reference = detector(portrait).boxes[0]
    for width in FACE_WIDTHS:
        scale = width / float(reference[2] - reference[0])
        enlarged = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        center_x, center_y = (reference[0] + reference[2]) / 2 * scale, (reference[1] + reference[3]) / 2 * scale
        left = int(np.clip(center_x - width, 0, max(0, enlarged.shape[1] - 2 * width)))
        top = int(np.clip(center_y - width, 0, max(0, enlarged.shape[0] - 2 * width)))
        image = np.ascontiguousarray(enlarged[top : top + 2 * width, left : left + 2 * width])
        expected = reference * scale - np.array([left, top, left, top])
        native = detector(image, large_face_pass=False)
        default = detector(image)
        print(
            f"| {name} | {width} | {image.shape[1]}x{image.shape[0]} | {len(native)} | {_iou(expected, native.boxes):.2f} "
            f"| {len(default)} | {_iou(expected, default.boxes):.2f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("portrait", help="photo with one frontal face")
    parser.add_argument("weights", nargs="+", help="official .pth checkpoints or registry names")
    parser.add_argument("--crop", default=None, help="cut the photo's top-left WxH corner first, e.g. 640x480")
    args = parser.parse_args()

    portrait = cv2.imread(args.portrait, cv2.IMREAD_COLOR)
    if portrait is None:
        print(f"error: cannot read {args.portrait}", file=sys.stderr)
        return 1
    if args.crop:
        width, height = (int(v) for v in args.crop.split("x"))
        portrait = np.ascontiguousarray(portrait[:height, :width])
    print("| model | face width (px) | image | native faces | native IoU | default faces | default IoU |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for weights in args.weights:
        _measure(FaceDetector.from_pretrained(weights), portrait, weights.rsplit("/", 1)[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
