"""Conversion of `Detections` to the `supervision` library's `Detections` and `KeyPoints`.

supervision is an optional dependency: `pip install "yunet[supervision]"`. Both conversions keep the face
order, use the same pixel coordinates and give every face class id 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from yunet.errors import MissingDependencyError
from yunet.results import Detections

if TYPE_CHECKING:
    import supervision

FACE_CLASS_ID = 0


def _import_supervision() -> Any:
    try:
        import supervision
    except ImportError as error:
        raise MissingDependencyError(
            'converting to supervision needs the supervision package; install it with pip install "yunet[supervision]"'
        ) from error
    return supervision


def to_supervision_detections(detections: Detections) -> supervision.Detections:
    """Convert faces to `supervision.Detections`.

    Returns:
        `xyxy` `(N, 4)` boxes `x1, y1, x2, y2` in pixels, `confidence` `(N,)` scores, `class_id` `(N,)` zeros,
        and `data["landmarks"]` `(N, 5, 2)` landmark points in YuNet's order.

    Raises:
        MissingDependencyError: if supervision is not installed.
    """
    supervision = _import_supervision()
    count = len(detections)
    return supervision.Detections(
        xyxy=np.array(detections.boxes, dtype=np.float32),
        confidence=np.array(detections.scores, dtype=np.float32),
        class_id=np.full(count, FACE_CLASS_ID, dtype=int),
        data={"landmarks": np.array(detections.landmarks, dtype=np.float32)},
    )


def to_supervision_keypoints(detections: Detections) -> supervision.KeyPoints:
    """Convert the five landmarks of every face to `supervision.KeyPoints`.

    Returns:
        `xy` `(N, 5, 2)` points in pixels, in YuNet's order (subject's right eye, left eye, nose tip, right
        and left mouth corner), and `class_id` `(N,)` zeros. YuNet gives no per-point confidence, so none is
        set.

    Raises:
        MissingDependencyError: if supervision is not installed.
    """
    supervision = _import_supervision()
    return supervision.KeyPoints(
        xy=np.array(detections.landmarks, dtype=np.float32),
        class_id=np.full(len(detections), FACE_CLASS_ID, dtype=int),
    )
