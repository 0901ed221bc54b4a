"""Measure tiny faces on a 4000x3000 canvas: one native-size pass (with its peak memory) and tiled mode.

Usage:
    python examples/measure_tiny_faces.py PORTRAIT WEIGHTS [--tiled]

PORTRAIT is a photo with one frontal face in its top-left 640x480 corner. That corner is scaled so the face
is 40, 12 and 8 px wide, and each copy is pasted on a plain gray 4000x3000 canvas. Prints, per face, the best IoU and score,
and the process's peak resident memory (`ru_maxrss`, Linux). Run once without and once with `--tiled`, so
each peak belongs to one mode.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import cv2
import numpy as np

from yunet.detector import FaceDetector
from yunet.tiling import detect_tiled

FACES = {40: (1500, 1000), 12: (550, 560), 8: (3300, 2600)}  # face width -> top-left corner of the paste


def _best(box: np.ndarray, boxes: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    if len(boxes) == 0:
        return 0.0, 0.0
    left, top = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    right, bottom = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    iou = intersection / (union - intersection)
    if iou.max() == 0:
        return 0.0, 0.0
    return float(iou.max()), float(scores[iou.argmax()])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("portrait", help="photo with one frontal face in its top-left 640x480 corner")
    parser.add_argument("weights", help="official .pth checkpoint or registry name")
    parser.add_argument("--tiled", action="store_true", help="use detect_tiled (640 px tiles, upscale 2)")
    args = parser.parse_args()

    detector = FaceDetector.from_pretrained(args.weights)
    portrait = np.ascontiguousarray(cv2.imread(args.portrait, cv2.IMREAD_COLOR)[:480, :640])
    reference = detector(portrait).boxes[0]
    canvas = np.full((3000, 4000, 3), 114, np.uint8)
    expected = {}
    for width, (left, top) in FACES.items():
        scale = width / float(reference[2] - reference[0])
        small = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
        expected[width] = reference * scale + np.array([left, top, left, top])

    start = time.perf_counter()
    faces = detect_tiled(detector, canvas) if args.tiled else detector(canvas)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mode: {'tiled' if args.tiled else 'native'}; faces found: {len(faces)}; image_size {faces.image_size}")
    for width, box in expected.items():
        iou, score = _best(box, faces.boxes, faces.scores)
        print(f"  {width} px face: best IoU {iou:.2f}, score {score:.2f}")
    print(f"peak RSS {peak_mib:.0f} MiB; wall time {seconds:.1f} s (shared CPU, indicative only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
