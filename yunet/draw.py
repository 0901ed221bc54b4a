"""Drawing of detections on BGR images with OpenCV."""

from __future__ import annotations

import logging

import numpy as np

import cv2

from yunet.errors import ImageError
from yunet.results import Detections

logger = logging.getLogger(__name__)

# BGR colours of the five landmarks: right eye, left eye, nose tip, right and left mouth corner.
LANDMARK_COLORS = ((255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 0, 255), (0, 255, 255))


def draw_detections(
    image: np.ndarray,
    detections: Detections,
    *,
    box_color: tuple[int, int, int] = (0, 255, 0),
    thickness: int | None = None,
    show_scores: bool = True,
    show_landmarks: bool = True,
) -> np.ndarray:
    """Draw boxes, scores and landmarks on a copy of a BGR image.

    Args:
        image: `(H, W, 3)` BGR uint8 image, the one the detections were computed on (same pixel grid).
        detections: the faces to draw; an empty result returns an unchanged copy.
        box_color: BGR colour of the boxes and score labels.
        thickness: line thickness in pixels; by default it grows with the image size.
        show_scores: write each face's score above its box.
        show_landmarks: draw the five landmarks (colours in `LANDMARK_COLORS`).

    Returns:
        A new `(H, W, 3)` uint8 BGR image.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(
            f"draw_detections needs an (H, W, 3) uint8 BGR image, got "
            f"{getattr(image, 'shape', None)} {getattr(image, 'dtype', type(image).__name__)}"
        )
    canvas = image.copy()
    if thickness is None:
        thickness = max(1, round(max(image.shape[:2]) / 500))
    radius = thickness + 1
    # OpenCV takes int32 pixel coordinates, so far-away points are pulled in to a band just outside the image.
    limit = 2 * max(image.shape[:2]) + 2 * thickness + 16
    for face in detections:
        if not (np.isfinite(face.box).all() and np.isfinite(face.landmarks).all()):
            logger.warning("skipping a face with non-finite coordinates: box %s", face.box)
            continue
        x1, y1, x2, y2 = (int(round(np.clip(v, -limit, limit))) for v in face.box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), box_color, thickness)
        if show_scores:
            font_scale = 0.4 * thickness
            cv2.putText(
                canvas, f"{face.score:.2f}", (x1, max(0, y1 - 3)), cv2.FONT_HERSHEY_SIMPLEX, font_scale, box_color,
                max(1, thickness // 2), cv2.LINE_AA,
            )
        if show_landmarks:
            for point, color in zip(face.landmarks, LANDMARK_COLORS):
                center = (int(round(np.clip(point.x, -limit, limit))), int(round(np.clip(point.y, -limit, limit))))
                cv2.circle(canvas, center, radius, color, -1, cv2.LINE_AA)
    return canvas
