"""Face crops: box crops with a margin, and 5-point similarity alignment for face recognition.

`align` maps the five YuNet landmarks onto the 112x112 template used by ArcFace-style recognition models
(InsightFace's `arcface_dst`), with OpenCV's `cv2.estimateAffinePartial2D` as the estimator. Both helpers
pad with zeros where the face reaches past the image border, so faces cut by the border still give a crop
of the full size.
"""

from __future__ import annotations

import math
import numbers

import cv2
import numpy as np

from yunet.errors import ImageError, ImageTooLargeError, YunetError
from yunet.results import Detections, Face

# Landmark positions in a 112x112 aligned face, in YuNet's order (subject's right eye, left eye, nose tip,
# right and left mouth corner), as used to train ArcFace models (InsightFace, `arcface_dst`).
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)
ARCFACE_SIZE = 112

# Largest crop `crop_box` allocates, so that a corrupt box raises instead of exhausting memory.
_MAX_CROP_PIXELS = 20000 * 20000

# Depths `cv2.warpAffine` supports; OpenCV 5.1 rejects the others (int8, int32, int64, float16, bool).
_WARP_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.shape[0] == 0 or image.shape[1] == 0:
        raise ImageError(
            f"expected a non-empty (H, W) or (H, W, C) NumPy array, got "
            f"{getattr(image, 'shape', type(image).__name__)}; read files with cv2.imread or np.asarray(pil_image)"
        )


def crop_box(
    image: np.ndarray, box: tuple[float, float, float, float] | np.ndarray, *, margin: float = 0.2, square: bool = False
) -> np.ndarray:
    """Cut one box out of an image, grown by a margin and padded with zeros past the image border.

    Args:
        image: `(H, W)` or `(H, W, C)` array of any dtype and channel order, the image the box refers to.
        box: `x1, y1, x2, y2` in pixels of `image`.
        margin: added on each side, as a fraction of the box width (left, right) and height (top, bottom).
        square: grow the shorter side of the box (after the margin) to the longer one, around its centre.

    Returns:
        A new array with the dtype and channels of `image`. Its corners are the grown box's corners rounded
        outward to whole pixels, so the crop is never smaller than the grown box.
    """
    _check_image(image)
    if not margin >= 0 or not math.isfinite(margin):
        raise YunetError(f"margin must be a finite number >= 0, got {margin}")
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise YunetError(f"box must have finite coordinates, got {(x1, y1, x2, y2)}")
    width, height = x2 - x1, y2 - y1
    x1, x2 = x1 - margin * width, x2 + margin * width
    y1, y2 = y1 - margin * height, y2 + margin * height
    if square:
        side = max(x2 - x1, y2 - y1)
        center_x, center_y = (x1 + x2) / 2, (y1 + y2) / 2
        x1, x2 = center_x - side / 2, center_x + side / 2
        y1, y2 = center_y - side / 2, center_y + side / 2

    left, top = math.floor(x1), math.floor(y1)
    right, bottom = max(math.ceil(x2), left + 1), max(math.ceil(y2), top + 1)
    image_height, image_width = image.shape[:2]
    if (bottom - top) * (right - left) > _MAX_CROP_PIXELS:
        raise ImageTooLargeError(
            f"crop of {right - left}x{bottom - top} pixels is too large (over {_MAX_CROP_PIXELS} pixels); "
            "check the box coordinates and the margin"
        )
    inner = image[max(top, 0) : min(bottom, image_height), max(left, 0) : min(right, image_width)]
    if inner.shape[0] == 0 or inner.shape[1] == 0:  # the box lies wholly outside the image
        return np.zeros((bottom - top, right - left, *image.shape[2:]), dtype=image.dtype)
    padding = [
        (max(-top, 0), max(bottom - image_height, 0)),
        (max(-left, 0), max(right - image_width, 0)),
    ] + [(0, 0)] * (image.ndim - 2)
    return np.pad(inner, padding, mode="constant")


def crop(
    image: np.ndarray, faces: Face | Detections, *, margin: float = 0.2, square: bool = False
) -> np.ndarray | list[np.ndarray]:
    """Cut faces out of an image by their boxes, with a margin; see `crop_box` for the geometry.

    Args:
        image: `(H, W)` or `(H, W, C)` array, the image the faces were detected in (same pixel grid).
        faces: one `Face`, or `Detections` for all of them.
        margin: added on each side, as a fraction of the box width and height.
        square: make each crop square around the box centre.

    Returns:
        One array for a `Face`; a list of arrays, one per face and empty when there is none, for `Detections`.
    """
    if isinstance(faces, Face):
        return crop_box(image, faces.box, margin=margin, square=square)
    if isinstance(faces, Detections):
        _check_image(image)
        return [crop_box(image, box, margin=margin, square=square) for box in faces.boxes]
    raise YunetError(f"expected a Face or Detections, got {type(faces).__name__}")


def alignment_matrix(landmarks: Face | np.ndarray, *, size: int = ARCFACE_SIZE) -> np.ndarray:
    """Estimate the similarity transform (rotation, uniform scale, translation) onto the ArcFace template.

    Args:
        landmarks: a `Face`, or a `(5, 2)` array of `(x, y)` pixels in YuNet's landmark order.
        size: side of the aligned image in pixels; the 112 px template is scaled by `size / 112`.

    Returns:
        float64 `(2, 3)` matrix mapping image pixels to aligned pixels, for `cv2.warpAffine`.

    Raises:
        YunetError: if the landmarks are not five finite points, or OpenCV finds no transform
            (for example when all five points coincide).
    """
    points = np.asarray(landmarks.landmarks if isinstance(landmarks, Face) else landmarks, dtype=np.float32)
    if points.shape != (5, 2) or not np.isfinite(points).all():
        raise YunetError(f"expected five finite (x, y) landmarks of shape (5, 2), got shape {points.shape}")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise YunetError(f"size must be a positive integer number of pixels, got {size!r}")
    template = ARCFACE_TEMPLATE * np.float32(size / ARCFACE_SIZE)
    # RANSAC with a threshold larger than the template keeps all five points as inliers, so the
    # Levenberg-Marquardt refinement that follows fits the least-squares similarity over all of them.
    matrix, _ = cv2.estimateAffinePartial2D(points, template, method=cv2.RANSAC, ransacReprojThreshold=10.0 * size)
    if matrix is None:
        raise YunetError(f"cv2.estimateAffinePartial2D found no similarity transform for landmarks {points.tolist()}")
    return matrix


def align(image: np.ndarray, face: Face | np.ndarray, *, size: int = ARCFACE_SIZE) -> np.ndarray:
    """Warp a face onto the 5-point ArcFace template, for face-recognition models.

    Args:
        image: `(H, W)` or `(H, W, C)` array (C <= 4) of any channel order, the image the face was detected in;
            dtype uint8, uint16, int16, float32 or float64.
        face: a `Face`, or a `(5, 2)` landmark array in YuNet's order, in pixels of `image`.
        size: side of the output in pixels (112 for ArcFace models).

    Returns:
        `(size, size)` or `(size, size, C)` array with the dtype of `image`; areas outside the image are zeros.

    Example:
        >>> faces = detector(image_bgr)
        >>> chips = [align(image_bgr, face) for face in faces]  # each (112, 112, 3) BGR
    """
    _check_image(image)
    if image.dtype not in _WARP_DTYPES:
        raise ImageError(
            f"align cannot warp images of dtype {image.dtype}; convert to uint8, uint16, int16, float32 or float64 "
            "first"
        )
    matrix = alignment_matrix(face, size=size)
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
