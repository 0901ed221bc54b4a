"""The large-face pass: an extra, reduced-scale pass that finds faces too big for the native-size pass.

YuNet was trained on 640x640 crops whose faces are mostly 10-300 px wide. At an image's own size its boxes
stay accurate up to faces about 400 px wide and then break up. On a 1200x1200 close-up with a 600 px face,
yunet-n returns two partial boxes (IoU about 0.5 with the face) instead of one. The large-face pass runs the
whole image a second time, shrunk so its longer side is `LARGE_FACE_PASS_SIZE`, and takes from it only faces
at least `LARGE_FACE_MIN_WIDTH` px wide in image pixels. Photos without such faces get exactly the
native-size result, so parity with OpenCV's `FaceDetectorYN` holds for them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from yunet.results import Detections

if TYPE_CHECKING:
    from yunet.detector import FaceDetector

logger = logging.getLogger(__name__)

# Measured on a real frontal face scaled to 150-800 px (examples/measure_face_sizes.py): at native size the
# best box has IoU >= 0.84 with the face up to 400 px, 0.62-0.80 at 500 px, and splits in two at 600 px.
LARGE_FACE_MIN_WIDTH = 400
# Longer image side of the reduced pass. A face filling a whole 4:3 frame comes out at most 360 px wide
# there, inside the reliable range. A 400 px face in a 4000x3000 photo still comes out 48 px wide.
LARGE_FACE_PASS_SIZE = 480
# The reduced pass runs only when the native pass returned a box at least this wide. Measured with
# crops like those of examples/measure_face_sizes.py: every fragment of a 500-1000 px face is 358 px
# wide or more for yunet-n and yunet-s, even at score 0.3, so ordinary photos skip the second pass entirely.
LARGE_FACE_TRIGGER_WIDTH = 300
# A native-size face whose area lies at least this much inside a large face is a fragment of it. Measured
# with yunet-n on an 800 px face: the native pass returns four fragments, 48-100% inside the face's box.
FRAGMENT_OVERLAP = 0.4


def needs_large_face_pass(width: int, height: int, native: Detections | None = None) -> bool:
    """Return whether an image of `width` x `height` pixels gets the large-face pass.

    Only images whose longer side exceeds `LARGE_FACE_PASS_SIZE` get it, because the pass must shrink the
    image. Smaller images cannot hold a face much wider than the reliable 400 px. When the native result is
    given, the pass also needs a native box at least `LARGE_FACE_TRIGGER_WIDTH` px wide.
    """
    if max(width, height) <= LARGE_FACE_PASS_SIZE:
        return False
    if native is None:
        return True
    widths = native.boxes[:, 2] - native.boxes[:, 0]
    return bool((widths >= LARGE_FACE_TRIGGER_WIDTH).any())


def add_large_faces(
    detector: FaceDetector,
    arrays: list[np.ndarray],
    native_results: list[Detections],
    *,
    score_threshold: float,
    nms_threshold: float,
    top_k: int,
) -> list[Detections]:
    """Run the large-face pass on the images that need it and merge its large faces into the native results.

    Args:
        detector: the detector that produced `native_results`; it runs the reduced pass.
        arrays: the `(H, W, 3)` BGR images, as fed to the native-size pass.
        native_results: the native-size results, one per image, in pixels of each image.
        score_threshold: minimum score of a face kept from the reduced pass.
        nms_threshold: NMS IoU threshold of the reduced pass.
        top_k: number of candidates entering NMS in the reduced pass.

    Returns:
        One `Detections` per image. It is `native_results[i]` itself when the reduced pass found no face at
        least `LARGE_FACE_MIN_WIDTH` px wide.
    """
    indices = [
        i
        for i, array in enumerate(arrays)
        if needs_large_face_pass(array.shape[1], array.shape[0], native_results[i])
    ]
    if not indices:
        return native_results
    reduced_results = detector(
        [arrays[i] for i in indices],
        input_size=LARGE_FACE_PASS_SIZE,
        score_threshold=score_threshold,
        nms_threshold=nms_threshold,
        top_k=top_k,
        large_face_pass=False,
    )
    merged = list(native_results)
    for index, reduced in zip(indices, reduced_results):
        merged[index] = merge_large_faces(native_results[index], reduced)
    return merged


def merge_large_faces(native: Detections, reduced: Detections) -> Detections:
    """Replace native-size faces by the large faces of the reduced pass that contain them.

    Faces of `reduced` at least `LARGE_FACE_MIN_WIDTH` px wide are added. Native faces whose area lies at
    least `FRAGMENT_OVERLAP` inside one of them are removed, because at that size the native pass returns
    fragments of the face. Both inputs are in pixels of the same image.

    Returns:
        `native` itself when `reduced` has no large face, else a new result sorted by decreasing score.
    """
    widths = reduced.boxes[:, 2] - reduced.boxes[:, 0]
    large = np.flatnonzero(widths >= LARGE_FACE_MIN_WIDTH)
    if large.size == 0:
        return native
    large_boxes = reduced.boxes[large]
    inside = _fraction_inside(native.boxes, large_boxes)  # (N_native, N_large)
    keep = np.flatnonzero(~(inside >= FRAGMENT_OVERLAP).any(axis=1))
    logger.debug("large-face pass: %d large faces replace %d native faces", large.size, len(native) - keep.size)

    boxes = np.concatenate([native.boxes[keep], large_boxes])
    scores = np.concatenate([native.scores[keep], reduced.scores[large]])
    landmarks = np.concatenate([native.landmarks[keep], reduced.landmarks[large]])
    order = np.argsort(-scores, kind="stable")
    return Detections(boxes[order], scores[order], landmarks[order], image_size=native.image_size)


def _fraction_inside(boxes: np.ndarray, containers: np.ndarray) -> np.ndarray:
    """Return the `(N, M)` fraction of each `x1, y1, x2, y2` box's area that lies inside each container."""
    left = np.maximum(boxes[:, None, 0], containers[None, :, 0])
    top = np.maximum(boxes[:, None, 1], containers[None, :, 1])
    right = np.minimum(boxes[:, None, 2], containers[None, :, 2])
    bottom = np.minimum(boxes[:, None, 3], containers[None, :, 3])
    intersection = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return intersection / np.maximum(areas, 1e-6)[:, None]
