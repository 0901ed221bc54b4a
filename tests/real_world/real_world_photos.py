"""Real photographs for the real-world tests: the frontal portrait F and canvases with scaled copies of it.

F is the top-left 640x480 corner of `images/two_people.jpg` (1126x661): it contains the left person's whole
frontal face, about 143 px wide (OpenCV's yunet-n box), and none of the other person's face, which starts at
x = 786. Cutting F from a larger photo leaves real image content for the 641x481 crop.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import require_asset

from yunet.detector import FaceDetector
from yunet.weights.official import load_official_checkpoint

SOURCE_PHOTO = "images/two_people.jpg"
F_WIDTH, F_HEIGHT = 640, 480
# F's face box from cv2.FaceDetectorYN with yunet_n_dynamic.onnx (reference_detections.json), x1, y1, x2, y2.
F_FACE_BOX = np.array([236.70, 24.88, 380.19, 223.98], dtype=np.float32)
CANVAS_GRAY = 114  # plain background of the synthetic canvases, so no false faces appear on them


def source_photo() -> np.ndarray:
    """Return `two_people.jpg` as a BGR uint8 array (1126x661)."""
    return cv2.imread(str(require_asset(SOURCE_PHOTO)), cv2.IMREAD_COLOR)


def frontal_portrait() -> np.ndarray:
    """Return F: a 640x480 BGR uint8 frontal portrait with one face about 143 px wide."""
    return np.ascontiguousarray(source_photo()[:F_HEIGHT, :F_WIDTH])


def scaled_portrait(face_width: float) -> tuple[np.ndarray, float]:
    """Resize F so its face box is `face_width` px wide; return the image and the scale factor."""
    scale = face_width / float(F_FACE_BOX[2] - F_FACE_BOX[0])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(frontal_portrait(), None, fx=scale, fy=scale, interpolation=interpolation), scale


def paste_face(canvas: np.ndarray, face_width: float, left: int, top: int) -> np.ndarray:
    """Paste F scaled to a `face_width` px face at `(left, top)` of `canvas`; return the expected face box."""
    portrait, scale = scaled_portrait(face_width)
    canvas[top : top + portrait.shape[0], left : left + portrait.shape[1]] = portrait
    return F_FACE_BOX * np.float32(scale) + np.array([left, top, left, top], dtype=np.float32)


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one `x1, y1, x2, y2` box with each of `(N, 4)` boxes."""
    left = np.maximum(box[0], boxes[:, 0])
    top = np.maximum(box[1], boxes[:, 1])
    right = np.minimum(box[2], boxes[:, 2])
    bottom = np.minimum(box[3], boxes[:, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return intersection / (area + areas - intersection)


@pytest.fixture(scope="module")
def detector(official_weights) -> FaceDetector:
    """A yunet-n detector with its default options."""
    return FaceDetector(load_official_checkpoint(official_weights["yunet-n"]))


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    """F, shared by the tests of a module; no test may write to it."""
    return frontal_portrait()
