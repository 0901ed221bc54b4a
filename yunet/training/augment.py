"""The original training augmentation: random square crop, resize to a square input, horizontal flip.

The crop follows libfacedetection.train's `RandomSquareCrop`: a square side of `scale * min(width, height)`
with `scale` drawn from the configured choices, placed at random until at least one face centre lies inside
it. One scale is tried at up to 250 positions before another is drawn (or, when no choice exceeds 1, before
the scale grows by 1.2). Where the square extends past the image, it is filled with the value 128, as in the
original. Faces whose centre falls outside the crop are dropped; the boxes and landmarks of the others are
clipped to it. The crop is then resized to `input_size` x `input_size` (bilinear), and flipped horizontally
with probability `flip_probability`, swapping the left and right landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_POSITION_TRIES = 250  # positions tried per drawn scale, as in the original
_MAX_SCALE_DRAWS = 20  # the original retries without end; past this the whole image is used
_SCALE_GROWTH = 1.2  # applied between draws when no scale choice exceeds 1, as in the original
CROP_PAD_VALUE = 128  # pixel value where the crop extends past the image (the original's fill)

# Landmark order: right eye, left eye, nose tip, right mouth corner, left mouth corner (as seen by the subject).
# A horizontal flip turns each right landmark into a left one.
FLIP_LANDMARK_ORDER = (1, 0, 2, 4, 3)


@dataclass(frozen=True)
class Sample:
    """One augmented training image and its faces.

    Attributes:
        image: `(S, S, 3)` uint8 BGR.
        boxes: `(G, 4)` float32 `x1, y1, x2, y2` in pixels of `image`.
        landmarks: `(G, 5, 2)` float32 points in pixels of `image`.
        landmark_weights: `(G,)` float32, 0 for faces without landmarks.
    """

    image: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    landmark_weights: np.ndarray


def random_square_crop(
    image: np.ndarray, boxes: np.ndarray, crop_scales: tuple[float, ...], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose a square crop; returns `(crop_image, (4,) crop box x1, y1, x2, y2, (G,) kept-face mask)`.

    The crop image is filled with `CROP_PAD_VALUE` where the square extends past the image. With no face
    centre inside after every draw, the whole image padded to a square is used.
    """
    height, width = image.shape[:2]
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    short_side = min(width, height)
    grows = max(crop_scales) <= 1.0
    crop = None
    scale = float(rng.choice(crop_scales))
    for draw in range(_MAX_SCALE_DRAWS):
        if draw > 0:
            scale = scale * _SCALE_GROWTH if grows else float(rng.choice(crop_scales))
        side = max(int(scale * short_side), 1)
        for _ in range(_POSITION_TRIES):
            left = int(rng.integers(min(0, width - side), max(0, width - side) + 1))
            top = int(rng.integers(min(0, height - side), max(0, height - side) + 1))
            inside = (
                (centres[:, 0] > left)
                & (centres[:, 0] < left + side)
                & (centres[:, 1] > top)
                & (centres[:, 1] < top + side)
            )
            if len(boxes) == 0 or inside.any():
                crop = (left, top, side, inside)
                break
        if crop is not None:
            break
    if crop is None:
        side = max(width, height)
        crop = (0, 0, side, np.ones(len(boxes), dtype=bool))
    left, top, side, inside = crop

    canvas = np.full((side, side, 3), CROP_PAD_VALUE, dtype=image.dtype)
    source_x1, source_y1 = max(left, 0), max(top, 0)
    source_x2, source_y2 = min(left + side, width), min(top + side, height)
    canvas[source_y1 - top : source_y2 - top, source_x1 - left : source_x2 - left] = image[source_y1:source_y2, source_x1:source_x2]
    return canvas, np.array([left, top, left + side, top + side], dtype=np.float32), inside


def augment(
    image: np.ndarray,
    boxes: np.ndarray,
    landmarks: np.ndarray,
    landmark_weights: np.ndarray,
    *,
    input_size: int,
    crop_scales: tuple[float, ...],
    flip_probability: float,
    rng: np.random.Generator,
) -> Sample:
    """Apply crop, resize and flip to one image and its faces (inputs in original-image pixels)."""
    canvas, crop_box, inside = random_square_crop(image, boxes, crop_scales, rng)
    side = canvas.shape[0]
    offset = crop_box[:2]
    boxes = boxes[inside] - np.tile(offset, 2)
    boxes = np.clip(boxes, 0, side)
    landmarks = np.clip(landmarks[inside] - offset, 0, side)
    landmark_weights = landmark_weights[inside]
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes, landmarks, landmark_weights = boxes[keep], landmarks[keep], landmark_weights[keep]

    scale = input_size / side
    resized = cv2.resize(canvas, (input_size, input_size), interpolation=cv2.INTER_LINEAR)
    boxes = boxes * scale
    landmarks = landmarks * scale

    if rng.random() < flip_probability:
        resized = np.ascontiguousarray(resized[:, ::-1])
        boxes = np.stack([input_size - boxes[:, 2], boxes[:, 1], input_size - boxes[:, 0], boxes[:, 3]], axis=1)
        landmarks = landmarks[:, FLIP_LANDMARK_ORDER].copy()
        landmarks[:, :, 0] = input_size - landmarks[:, :, 0]
    return Sample(
        resized,
        boxes.astype(np.float32).reshape(-1, 4),
        landmarks.astype(np.float32).reshape(-1, 5, 2),
        landmark_weights.astype(np.float32),
    )
