"""Detect the faces in a photograph, print them, and write a drawn copy.

Usage:
    python examples/detect_and_draw.py PHOTO WEIGHTS [OUT]

WEIGHTS is a registry name ("yunet-n"), a Hub repo id, a folder written by `save_pretrained`, or an official
libfacedetection `.pth` checkpoint. OUT defaults to `drawn.png`.
"""

from __future__ import annotations

import sys

import cv2

from yunet import FaceDetector, draw_detections
from yunet.preprocess import read_image


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    photo, weights = sys.argv[1], sys.argv[2]
    out_path = sys.argv[3] if len(sys.argv) == 4 else "drawn.png"

    detector = FaceDetector.from_pretrained(weights)
    image = read_image(photo)  # BGR, EXIF orientation applied, the pixel grid the coordinates refer to
    faces = detector(image)

    print(f"{len(faces)} face(s) in {photo}")
    for face in faces:
        eye = face.landmarks.right_eye
        print(f"  score {face.score:.3f}, box {tuple(round(v, 1) for v in face.box)}, right eye ({eye.x:.1f}, {eye.y:.1f})")
    cv2.imwrite(out_path, draw_detections(image, faces))
    print(f"drawn image written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
