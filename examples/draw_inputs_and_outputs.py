"""Draw yunet's result on a real photo, next to the aligned 112x112 chip, for docs/inputs-and-outputs.md.

Usage:
    python examples/draw_inputs_and_outputs.py PHOTO WEIGHTS OUTPUT.png

PHOTO is any photo with a face (the docs use scikit-image's public-domain astronaut portrait), WEIGHTS an
official libfacedetection `.pth` checkpoint or any name `FaceDetector.from_pretrained` accepts.
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from yunet.align import align
from yunet.detector import FaceDetector
from yunet.draw import draw_detections
from yunet.preprocess import read_image

PANEL_HEIGHT = 384


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", help="photo to detect faces in")
    parser.add_argument("weights", help="official .pth checkpoint, registry name or Hub repo id")
    parser.add_argument("output", help="PNG file to write")
    args = parser.parse_args()

    detector = FaceDetector.from_pretrained(args.weights)
    image = read_image(args.photo)
    faces = detector(image)
    print(faces.to_json(indent=2))

    drawn = draw_detections(image, faces)
    scale = PANEL_HEIGHT / drawn.shape[0]
    drawn = cv2.resize(drawn, (round(drawn.shape[1] * scale), PANEL_HEIGHT), interpolation=cv2.INTER_AREA)
    chips = [align(image, face) for face in faces[:3]]
    column = np.full((PANEL_HEIGHT, 112 + 16, 3), 255, np.uint8)
    for index, chip in enumerate(chips):
        top = 8 + index * (112 + 8)
        column[top : top + 112, 8:120] = chip
    panel = np.concatenate([drawn, column], axis=1)
    if not cv2.imwrite(args.output, panel, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        print(f"error: cannot write {args.output}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({panel.shape[1]}x{panel.shape[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
