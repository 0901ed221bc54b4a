"""Int8 YuNet with onnxruntime's static quantization, and its agreement with the float model.

Weights are quantized per output channel (int8), activations per tensor (uint8) with ranges calibrated on real
photographs, in the QDQ format that onnxruntime's CPU provider fuses into integer kernels. Int8 is not always
faster: depthwise convolutions and the many small layers of YuNet gain little, so measure
(`python -m yunet.bench detect --int8 FILE`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from yunet.errors import ExportError
from yunet.export import INPUT_NAME
from yunet.preprocess import letterbox_scale
from yunet.results import Detections

logger = logging.getLogger(__name__)

MIN_OPSET = 13
CALIBRATION_SIZE = (640, 640)  # (W, H) every calibration photo is letterboxed into


def calibration_batches(images: Iterable[np.ndarray], size: tuple[int, int] = CALIBRATION_SIZE) -> Iterator[np.ndarray]:
    """Yield `(1, 3, H, W)` float32 BGR 0-255 inputs: each photo resized to fit `size`, zero-padded bottom/right."""
    width, height = size
    for image in images:
        scale = letterbox_scale(image.shape[1], image.shape[0], size)
        new_size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        resized = cv2.resize(image, new_size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        batch = np.zeros((1, 3, height, width), np.float32)
        batch[0, :, : new_size[1], : new_size[0]] = resized.transpose(2, 0, 1)
        yield batch


def quantize_int8(
    float_onnx: str | os.PathLike[str],
    int8_onnx: str | os.PathLike[str],
    calibration_images: Iterable[np.ndarray],
) -> Path:
    """Write an int8 copy of a float YuNet ONNX file.

    Args:
        float_onnx: ONNX file in the official layout (`yunet.export.export_onnx`, dynamic or static) at opset
            13 or later, which per-channel `DequantizeLinear` needs.
        int8_onnx: the file to write.
        calibration_images: real photographs, `(H, W, 3)` BGR uint8; a few dozen are enough for the
            min/max activation ranges.

    Returns:
        The path written.

    Raises:
        ExportError: if onnxruntime's quantization tools are missing, the opset is below 13, or no calibration
            image is given.
    """
    import onnx

    opset = max(entry.version for entry in onnx.load(str(float_onnx), load_external_data=False).opset_import if entry.domain in ("", "ai.onnx"))
    if opset < MIN_OPSET:
        raise ExportError(
            f"{str(float_onnx)!r} uses opset {opset}; per-channel int8 needs opset {MIN_OPSET} or later: "
            f"export it with export_onnx(..., opset={MIN_OPSET})"
        )
    try:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    except ImportError as error:
        raise ExportError("int8 quantization needs onnxruntime: pip install 'yunet[onnx]'") from error
    batches = list(calibration_batches(calibration_images))
    if not batches:
        raise ExportError("quantize_int8 needs at least one calibration image")

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            return None if batch is None else {INPUT_NAME: batch}

    int8_onnx = Path(int8_onnx)
    int8_onnx.parent.mkdir(parents=True, exist_ok=True)
    quantize_static(
        str(float_onnx),
        str(int8_onnx),
        _Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    logger.info("wrote int8 model to %s, calibrated on %d photographs", int8_onnx, len(batches))
    return int8_onnx


class Agreement(NamedTuple):
    """Agreement of int8 detections with float ones over a set of photos."""

    float_faces: int  # faces the float model found
    int8_faces: int  # faces the int8 model found
    matched: int  # float faces paired with an int8 face at IoU >= 0.5
    mean_iou: float  # mean box IoU over matched pairs
    mean_landmark_error: float  # mean landmark distance over matched pairs, in pixels


def measure_agreement(pairs: Iterable[tuple[Detections, Detections]], *, iou_threshold: float = 0.5) -> Agreement:
    """Match each image's float faces to its int8 faces greedily by IoU and summarize.

    Args:
        pairs: `(float_detections, int8_detections)` per image.
        iou_threshold: minimum box IoU of a matched pair.
    """
    float_faces = int8_faces = 0
    ious: list[float] = []
    errors: list[float] = []
    for reference, candidate in pairs:
        float_faces += len(reference)
        int8_faces += len(candidate)
        if len(reference) == 0 or len(candidate) == 0:
            continue
        iou = _iou_matrix(reference.boxes, candidate.boxes)
        used = np.zeros(len(candidate), bool)
        for row in range(len(reference)):
            column = int(np.argmax(np.where(used, -1.0, iou[row])))
            if used[column] or iou[row, column] < iou_threshold:
                continue
            used[column] = True
            ious.append(float(iou[row, column]))
            distance = np.linalg.norm(reference.landmarks[row] - candidate.landmarks[column], axis=1)
            errors.append(float(distance.mean()))
    return Agreement(
        float_faces=float_faces,
        int8_faces=int8_faces,
        matched=len(ious),
        mean_iou=float(np.mean(ious)) if ious else 0.0,
        mean_landmark_error=float(np.mean(errors)) if errors else 0.0,
    )


def _iou_matrix(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    top_left = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    intersection = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    return intersection / np.maximum(area1[:, None] + area2[None, :] - intersection, 1e-9)
