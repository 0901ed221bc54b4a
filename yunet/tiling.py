"""Tiled detection: an opt-in mode for tiny faces on large canvases.

The image is cut into overlapping tiles, each tile is upscaled and run through the detector, and the faces
are mapped back to pixels of the whole image. A face no wider than the overlap lies wholly inside at least
one tile, so faces that touch an inner tile edge are dropped as possibly cut. Faces seen whole by two tiles
are merged with NMS. By default the whole image is also run once at its own size, so faces larger than the
overlap are still found.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import cv2
import numpy as np
import torch

from yunet.errors import ConfigError
from yunet.ops.nms import nms
from yunet.preprocess import ColorOrder, ImageInput, to_bgr_images
from yunet.results import Detections

if TYPE_CHECKING:
    from yunet.detector import FaceDetector

logger = logging.getLogger(__name__)

# A face box within this many pixels (of the whole image) of an inner tile edge may be cut by that edge.
_EDGE_TOLERANCE = 1.0


def tile_origins(length: int, tile_size: int, overlap: int) -> list[int]:
    """Return the start offsets of tiles covering `[0, length)` with the given overlap.

    Tiles step by `tile_size - overlap`. The last tile is shifted back to end exactly at `length`, so every
    tile is `tile_size` long unless the image is shorter than one tile.
    """
    if length <= tile_size:
        return [0]
    step = tile_size - overlap
    origins = list(range(0, length - tile_size, step))
    origins.append(length - tile_size)
    return origins


def detect_tiled(
    detector: FaceDetector,
    image: ImageInput,
    *,
    tile_size: int = 640,
    overlap: int = 128,
    upscale: float = 2.0,
    full_image_pass: bool = True,
    batch_size: int = 4,
    score_threshold: float | None = None,
    nms_threshold: float | None = None,
    top_k: int | None = None,
    color: ColorOrder = "bgr",
) -> Detections:
    """Detect faces tile by tile, with the tiles upscaled, for faces too small for one pass.

    With `upscale=2`, a face of 12 px in the image is 24 px in the network input. The cost grows with the
    upscaled area: on a 4000x3000 image the defaults run 48 tiles of 1280x1280 pixels, 6.5 times the pixels
    of one native-size pass.

    Args:
        detector: the detector to run on every tile.
        image: one image of any kind `FaceDetector` accepts (path, array, PIL image, `(3, H, W)` tensor).
        tile_size: side of a tile in pixels of `image`, before upscaling.
        overlap: pixels shared by neighbouring tiles; faces up to this size are seen whole by some tile.
        upscale: factor by which tiles are enlarged before detection (1 for none).
        full_image_pass: also run the whole image at its own size (with the detector's large-face pass) and
            merge its faces, so faces larger than `overlap` are found too.
        batch_size: tiles run through the network together; bounds the memory of the tiled pass.
        score_threshold: minimum score of a kept face (default: the detector's).
        nms_threshold: IoU above which the lower-scored of two faces from different tiles or passes is
            removed (default: the detector's).
        top_k: maximum number of faces returned (default: the detector's).
        color: channel order of arrays and tensors, "bgr" (default) or "rgb".

    Returns:
        The faces in float pixels of `image`, by decreasing score.

    Raises:
        ConfigError: if the tiling options are inconsistent.
        ImageError: if the image is invalid.
    """
    _check_tiling(tile_size, overlap, upscale, batch_size)
    nms_threshold = detector.nms_threshold if nms_threshold is None else nms_threshold
    top_k = detector.top_k if top_k is None else top_k
    array = _single_image(image, color)
    height, width = array.shape[:2]

    lefts = tile_origins(width, tile_size, overlap)
    tiles = [(left, top) for top in tile_origins(height, tile_size, overlap) for left in lefts]
    logger.debug("tiled detection: %d tiles of %d px, upscale %.2f, on %dx%d", len(tiles), tile_size, upscale, width, height)
    parts = []
    for start in range(0, len(tiles), batch_size):
        batch = tiles[start : start + batch_size]
        crops = [_upscaled_tile(array, left, top, tile_size, upscale) for left, top in batch]
        results = detector(crops, score_threshold=score_threshold, nms_threshold=nms_threshold, large_face_pass=False)
        for (left, top), result in zip(batch, results):
            parts.append(_tile_faces_in_image(result, left, top, tile_size, upscale, (width, height)))
    if full_image_pass:
        parts.append(detector(array, score_threshold=score_threshold, nms_threshold=nms_threshold))
    return merge_detections(parts, nms_threshold=nms_threshold, top_k=top_k, image_size=(width, height))


def merge_detections(
    parts: list[Detections], *, nms_threshold: float, top_k: int | None, image_size: tuple[int, int]
) -> Detections:
    """Join results that share one image's pixel grid and remove duplicates with float-box NMS.

    Args:
        parts: results in pixels of the same image.
        nms_threshold: IoU above which the lower-scored of two faces is removed.
        top_k: maximum number of faces kept, best first (None: all).
        image_size: `(width, height)` of that image.
    """
    boxes = np.concatenate([part.boxes for part in parts]) if parts else np.zeros((0, 4), np.float32)
    scores = np.concatenate([part.scores for part in parts]) if parts else np.zeros((0,), np.float32)
    landmarks = np.concatenate([part.landmarks for part in parts]) if parts else np.zeros((0, 5, 2), np.float32)
    keep = nms(torch.from_numpy(boxes), torch.from_numpy(scores), nms_threshold).numpy()
    if top_k is not None:
        keep = keep[:top_k]
    return Detections(boxes[keep], scores[keep], landmarks[keep], image_size=image_size)


def _check_tiling(tile_size: int, overlap: int, upscale: float, batch_size: int) -> None:
    if tile_size < 32:
        raise ConfigError(f"tile_size must be at least 32 pixels, got {tile_size}")
    if not 0 <= overlap < tile_size:
        raise ConfigError(f"overlap must be in [0, tile_size={tile_size}), got {overlap}")
    if not 1.0 <= upscale <= 8.0:
        raise ConfigError(f"upscale must be in [1, 8], got {upscale}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size}")


def _single_image(image: ImageInput, color: ColorOrder) -> np.ndarray:
    arrays = to_bgr_images(image, color=color)
    if len(arrays) != 1:
        raise ConfigError(f"detect_tiled takes one image, got a batch of {len(arrays)}; call it once per image")
    return arrays[0]


def _upscaled_tile(array: np.ndarray, left: int, top: int, tile_size: int, upscale: float) -> np.ndarray:
    tile = array[top : top + tile_size, left : left + tile_size]
    if upscale == 1.0:
        return tile
    size = (round(tile.shape[1] * upscale), round(tile.shape[0] * upscale))
    return cv2.resize(tile, size, interpolation=cv2.INTER_LINEAR)


def _tile_faces_in_image(
    result: Detections, left: int, top: int, tile_size: int, upscale: float, image_size: tuple[int, int]
) -> Detections:
    """Map one tile's faces to image pixels and drop those touching an inner edge of the tile."""
    width, height = image_size
    offset = np.array([left, top], dtype=np.float32)
    boxes = result.boxes / np.float32(upscale) + np.tile(offset, 2)
    landmarks = result.landmarks / np.float32(upscale) + offset

    right, bottom = min(left + tile_size, width), min(top + tile_size, height)
    cut = np.zeros(len(result), dtype=bool)
    if left > 0:
        cut |= boxes[:, 0] <= left + _EDGE_TOLERANCE
    if top > 0:
        cut |= boxes[:, 1] <= top + _EDGE_TOLERANCE
    if right < width:
        cut |= boxes[:, 2] >= right - _EDGE_TOLERANCE
    if bottom < height:
        cut |= boxes[:, 3] >= bottom - _EDGE_TOLERANCE
    keep = np.flatnonzero(~cut)
    return Detections(boxes[keep], result.scores[keep], landmarks[keep], image_size=image_size)
