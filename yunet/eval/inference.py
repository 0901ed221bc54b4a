"""Running a detector over WIDER FACE image folders to produce evaluation predictions.

Evaluation inference follows libfacedetection.train's WIDER FACE test setting: the original image size
(padded bottom/right with zeros to a multiple of 32, as OpenCV's `FaceDetectorYN` does), score threshold
0.02, NMS IoU 0.45, at most 5000 candidates before NMS.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import numpy as np
import torch

from yunet.errors import DatasetError, ImageReadError
from yunet.models import YuNet
from yunet.ops.boxes import xyxy_to_xywh
from yunet.ops.decode import decode_boxes, face_scores
from yunet.ops.nms import nms_opencv
from yunet.ops.priors import make_priors

logger = logging.getLogger(__name__)

SCORE_THRESHOLD = 0.02
NMS_THRESHOLD = 0.45
TOP_K = 5000

# A detector maps a BGR uint8 `(H, W, 3)` image to `(boxes, scores)`: `(N, 4)` x1, y1, x2, y2 pixels, `(N,)`.
DetectFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


class ModelDetector:
    """Detect faces with a `YuNet` module directly (no fusing), for evaluation during training.

    The post-processing is the official one: decode from cell corners, score `sqrt(cls * obj)`, threshold,
    OpenCV-style NMS on boxes truncated to whole pixels, top-k before NMS.
    """

    def __init__(
        self,
        model: YuNet,
        *,
        score_threshold: float = SCORE_THRESHOLD,
        nms_threshold: float = NMS_THRESHOLD,
        top_k: int = TOP_K,
    ) -> None:
        self.model = model
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.top_k = top_k

    @torch.no_grad()
    def __call__(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        was_training = self.model.training
        self.model.eval()
        try:
            return self._detect(image_bgr)
        finally:
            self.model.train(was_training)

    def _detect(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        height, width = image_bgr.shape[:2]
        multiple = self.model.config.max_stride
        padded_height = math.ceil(height / multiple) * multiple
        padded_width = math.ceil(width / multiple) * multiple
        device = next(self.model.parameters()).device
        inputs = torch.zeros((1, 3, padded_height, padded_width), device=device)
        inputs[0, :, :height, :width] = torch.from_numpy(np.ascontiguousarray(image_bgr)).to(device).permute(2, 0, 1)

        outputs = self.model(inputs).concat()
        priors = make_priors(padded_height, padded_width, self.model.config.strides, device=device)
        boxes = decode_boxes(outputs.bbox[0][0], priors)  # (P, 4)
        scores = face_scores(outputs.cls[0][0].sigmoid(), outputs.obj[0][0].sigmoid())  # (P,)

        candidates = torch.nonzero(scores >= self.score_threshold).squeeze(1)
        keep = nms_opencv(xyxy_to_xywh(boxes[candidates]), scores[candidates], self.nms_threshold, top_k=self.top_k)
        kept = candidates[keep]
        return boxes[kept].cpu().numpy().astype(np.float64), scores[kept].cpu().numpy().astype(np.float64)


class OpenCVDetector:
    """Detect faces with `cv2.FaceDetectorYN` running an ONNX model at each image's own size, the reference
    the project's evaluation numbers are compared with."""

    def __init__(
        self,
        onnx_path: str | Path,
        *,
        score_threshold: float = SCORE_THRESHOLD,
        nms_threshold: float = NMS_THRESHOLD,
        top_k: int = TOP_K,
    ) -> None:
        if not Path(onnx_path).is_file():
            raise DatasetError(f"ONNX model not found: {onnx_path}")
        self.detector = cv2.FaceDetectorYN.create(str(onnx_path), "", (320, 320), score_threshold, nms_threshold, top_k)

    def __call__(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        height, width = image_bgr.shape[:2]
        self.detector.setInputSize((width, height))
        _, faces = self.detector.detect(image_bgr)
        if faces is None:
            return np.zeros((0, 4)), np.zeros(0)
        faces = faces.astype(np.float64)
        boxes = np.concatenate([faces[:, :2], faces[:, :2] + faces[:, 2:4]], axis=1)
        return boxes, faces[:, 14]


def list_images(images_dir: str | Path) -> list[Path]:
    """List `<images_dir>/<event>/<name>.jpg` files, sorted.

    Raises:
        DatasetError: if the folder is missing or contains no images in event folders.
    """
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise DatasetError(f"image folder not found: {images_dir}")
    paths = sorted(images_dir.glob("*/*.jpg"))
    if not paths:
        raise DatasetError(f"{images_dir} contains no <event>/<name>.jpg images (the WIDER_val/images layout)")
    return paths


def predict_folder(detect: DetectFn, image_paths: Iterable[Path]) -> dict[str, dict[str, np.ndarray]]:
    """Run `detect` on each image and collect `predictions[event][image_name]` rows `x, y, w, h, score`.

    Raises:
        ImageReadError: if an image cannot be decoded.
    """
    predictions: dict[str, dict[str, np.ndarray]] = {}
    for path in image_paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ImageReadError(f"cannot decode image {path}; is it a JPEG file?")
        boxes, scores = detect(image)
        rows = np.zeros((len(scores), 5))
        if len(scores):
            rows[:, :2] = boxes[:, :2]
            rows[:, 2:4] = boxes[:, 2:] - boxes[:, :2]
            rows[:, 4] = scores
        predictions.setdefault(path.parent.name, {})[path.stem] = rows
        logger.debug("%s: %d detections", path, len(scores))
    return predictions
