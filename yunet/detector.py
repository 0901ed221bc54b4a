"""`FaceDetector`: the whole inference path, preprocess -> fused YuNet -> decode -> NMS -> `Detections`."""

from __future__ import annotations

import logging
import math
import numbers
import os
import threading
from collections.abc import Sequence
from typing import Literal, overload

import cv2
import numpy as np
import torch

from yunet.backends import Backend, make_runner
from yunet.errors import ConfigError, ImageError, ImageTooLargeError
from yunet.large_faces import add_large_faces
from yunet.models import YuNet
from yunet.models.head import HeadOutputs
from yunet.ops.decode import decode_boxes_xywh, decode_keypoints, face_scores
from yunet.ops.nms import nms, nms_opencv
from yunet.ops.priors import make_priors
from yunet.preprocess import ColorOrder, ImageInput, letterbox_scale, pack_images, round_up, to_bgr_images
from yunet.results import Detections

logger = logging.getLogger(__name__)

NmsMode = Literal["opencv", "float"]

DEFAULT_SCORE_THRESHOLD = 0.5
DEFAULT_NMS_THRESHOLD = 0.3
DEFAULT_TOP_K = 5000
DEFAULT_MAX_PIXELS = 20000 * 20000


class FaceDetector:
    """Find faces, their boxes and five landmarks, with a fused YuNet model.

    The detector is stateless between calls and safe to call from several threads at once.

    Args:
        model: a YuNet network; it is fused (BatchNorm folded) and put in eval mode; the original is untouched.
        device: torch device for the network ("cpu", "cuda", ...).
        score_threshold: default minimum score `sqrt(cls * obj)` of a kept face, in [0, 1].
        nms_threshold: default IoU above which the lower-scored of two boxes is removed.
        top_k: default number of highest-scored candidates that enter NMS, as in OpenCV.
        nms_mode: "opencv" computes overlaps on boxes truncated to integers, like `cv2.FaceDetectorYN`
            (results match OpenCV's); "float" uses the float boxes.
        max_pixels: images (after any resize) above this many padded pixels raise `ImageTooLargeError`.
        large_face_pass: default of the per-call option. It applies when the image's longer side exceeds
            480 px and the native-size pass returned a box at least 300 px wide. The image is then also run
            shrunk to 480 px, and that pass's faces at least 400 px wide replace the fragments the native-size
            pass breaks them into (`yunet.large_faces`). Other photos get the native-size result unchanged.
        backend: "torch" (default) runs the network in PyTorch; "onnxruntime" exports it in memory and runs it
            in an onnxruntime session whose thread count follows `torch.get_num_threads()` at construction
            (CPU only). Both give the same detections within float32 rounding.
        session_options: onnxruntime `SessionOptions` for the "onnxruntime" backend (threads, optimization).

    Example:
        >>> detector = FaceDetector.from_pretrained("yunet-n")
        >>> faces = detector("group.jpg")
        >>> faces.boxes  # (N, 4) x1, y1, x2, y2 in pixels of group.jpg
    """

    def __init__(
        self,
        model: YuNet,
        *,
        device: str | torch.device = "cpu",
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        nms_threshold: float = DEFAULT_NMS_THRESHOLD,
        top_k: int = DEFAULT_TOP_K,
        nms_mode: NmsMode = "opencv",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        large_face_pass: bool = True,
        backend: Backend = "torch",
        session_options: object | None = None,
    ) -> None:
        score_threshold, nms_threshold, top_k = _check_thresholds(score_threshold, nms_threshold, top_k)
        if nms_mode not in ("opencv", "float"):
            raise ConfigError(f"nms_mode must be 'opencv' or 'float', got {nms_mode!r}")
        try:
            self.device = torch.device(device)
            self.model = model.fuse().to(self.device)
        except (RuntimeError, AssertionError) as error:  # torch raises AssertionError for a CUDA-less build
            raise ConfigError(f"cannot use device {device!r}: {error}") from error
        self.source_model = model
        self.model.requires_grad_(False)
        self.backend = backend
        self.runner = make_runner(backend, self.model, self.device, session_options=session_options)
        self.config = model.config
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.top_k = top_k
        self.nms_mode: NmsMode = nms_mode
        self.max_pixels = max_pixels
        self.large_face_pass = large_face_pass
        self._priors: dict[tuple[int, int], torch.Tensor] = {}
        self._priors_lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike[str],
        *,
        revision: str | None = None,
        device: str | torch.device = "cpu",
        **options: object,
    ) -> FaceDetector:
        """Load weights and build a detector.

        Args:
            name_or_path: a registry name ("yunet-n", "yunet-s"), a Hugging Face Hub repo id, a local folder
                written by `save_pretrained`, or an official libfacedetection `.pth` checkpoint.
            revision: Hub revision (branch, tag or commit) to pin; ignored for local files.
            device: torch device for the network.
            **options: forwarded to `FaceDetector.__init__` (thresholds, `nms_mode`, ...).
        """
        from yunet.weights.loading import load_model

        model = load_model(name_or_path, revision=revision)
        return cls(model, device=device, **options)  # type: ignore[arg-type]

    def save_pretrained(self, save_directory: str | os.PathLike[str]) -> None:
        """Write the (unfused) model in the Hub format: `config.json` and `model.safetensors`."""
        self.source_model.save_pretrained(save_directory)  # type: ignore[attr-defined]

    def push_to_hub(self, repo_id: str, **kwargs: object) -> object:
        """Upload the (unfused) model to a Hugging Face Hub repository; `kwargs` go to `huggingface_hub`."""
        return self.source_model.push_to_hub(repo_id, **kwargs)  # type: ignore[attr-defined]

    @overload
    def __call__(
        self,
        image: ImageInput,
        *,
        score_threshold: float | None = ...,
        nms_threshold: float | None = ...,
        top_k: int | None = ...,
        input_size: int | tuple[int, int] | None = ...,
        color: ColorOrder = ...,
        clip: bool = ...,
        large_face_pass: bool | None = ...,
    ) -> Detections: ...

    @overload
    def __call__(
        self,
        image: list[ImageInput] | tuple[ImageInput, ...],
        *,
        score_threshold: float | None = ...,
        nms_threshold: float | None = ...,
        top_k: int | None = ...,
        input_size: int | tuple[int, int] | None = ...,
        color: ColorOrder = ...,
        clip: bool = ...,
        large_face_pass: bool | None = ...,
    ) -> list[Detections]: ...

    def __call__(
        self,
        image: ImageInput | list[ImageInput] | tuple[ImageInput, ...],
        *,
        score_threshold: float | None = None,
        nms_threshold: float | None = None,
        top_k: int | None = None,
        input_size: int | tuple[int, int] | None = None,
        color: ColorOrder = "bgr",
        clip: bool = False,
        large_face_pass: bool | None = None,
    ) -> Detections | list[Detections]:
        """Detect faces in one image or a list of images.

        Args:
            image: a path, an `(H, W, 3)` BGR uint8 array (`color="rgb"` for RGB), a grayscale or 4-channel
                array, a `PIL.Image`, a `(3, H, W)` tensor, or a list of these (a `(B, 3, H, W)` tensor also
                gives a list). Arrays may be uint8, uint16 (scaled) or float/int in [0, 255].
            score_threshold: minimum score of a kept face (default: the detector's).
            nms_threshold: NMS IoU threshold (default: the detector's).
            top_k: number of best candidates entering NMS (default: the detector's).
            input_size: None runs at the image's own size, padded to a multiple of 32 as OpenCV does. A
                `(W, H)` pair, or an int for a square, resizes the image to fit inside it, keeping its aspect
                ratio. Coordinates are always returned in pixels of the original image.
            color: channel order of arrays and tensors, "bgr" (default) or "rgb".
            clip: clip boxes and landmarks to the image area.
            large_face_pass: run the large-face pass (default: the detector's); it never runs when
                `input_size` is given.

        Returns:
            `Detections` for one image, a list of them for a list of images or a 4-D tensor.

        Raises:
            ImageError: if an image is invalid (the message says why).
            ImageTooLargeError: if an image exceeds `max_pixels` or memory runs out.
        """
        score_threshold = self.score_threshold if score_threshold is None else score_threshold
        nms_threshold = self.nms_threshold if nms_threshold is None else nms_threshold
        top_k = self.top_k if top_k is None else top_k
        score_threshold, nms_threshold, top_k = _check_thresholds(score_threshold, nms_threshold, top_k)
        size = _check_input_size(input_size)

        is_list = isinstance(image, (list, tuple))
        inputs = list(image) if is_list else [image]
        arrays = [array for item in inputs for array in to_bgr_images(item, color=color)]
        if isinstance(image, torch.Tensor) and image.ndim == 4:
            is_list = True
        results = self._detect_arrays(arrays, score_threshold, nms_threshold, top_k, size)
        if size is None and (self.large_face_pass if large_face_pass is None else large_face_pass):
            results = add_large_faces(
                self, arrays, results, score_threshold=score_threshold, nms_threshold=nms_threshold, top_k=top_k
            )
        if clip:
            results = [result.clip() for result in results]
        return results if is_list else results[0]

    def _detect_arrays(
        self,
        arrays: list[np.ndarray],
        score_threshold: float,
        nms_threshold: float,
        top_k: int,
        input_size: tuple[int, int] | None,
    ) -> list[Detections]:
        """Run a list of BGR arrays, batching the ones that share a padded network input size."""
        stride = self.config.max_stride
        jobs = []  # (array fed to the network, scale from original to network pixels, original (w, h))
        for array in arrays:
            height, width = array.shape[:2]
            if input_size is None:
                jobs.append((array, 1.0, (width, height)))
            else:
                scale = letterbox_scale(width, height, input_size)
                new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
                resized = cv2.resize(array, new_size, interpolation=cv2.INTER_LINEAR if scale < 8 else cv2.INTER_NEAREST)
                jobs.append((resized, scale, (width, height)))

        groups: dict[tuple[int, int], list[int]] = {}
        for index, (array, _, _) in enumerate(jobs):
            if input_size is None:
                padded = (round_up(array.shape[0], stride), round_up(array.shape[1], stride))
            else:
                padded = (round_up(input_size[1], stride), round_up(input_size[0], stride))
            groups.setdefault(padded, []).append(index)

        results: list[Detections | None] = [None] * len(jobs)
        for (padded_height, padded_width), indices in groups.items():
            if padded_height * padded_width > self.max_pixels:
                raise ImageTooLargeError(
                    f"image of {padded_width}x{padded_height} padded pixels exceeds max_pixels={self.max_pixels}; "
                    "pass input_size to downscale it or raise max_pixels"
                )
            batch = pack_images([jobs[i][0] for i in indices], padded_height, padded_width)
            per_image = self._detect_batch(batch, score_threshold, nms_threshold, top_k)
            for index, (boxes_xywh, scores, landmarks) in zip(indices, per_image):
                _, scale, original_size = jobs[index]
                results[index] = _to_detections(boxes_xywh, scores, landmarks, scale, original_size)
        return [result for result in results if result is not None]

    def _get_priors(self, height: int, width: int) -> torch.Tensor:
        key = (height, width)
        with self._priors_lock:
            priors = self._priors.get(key)
            if priors is None:
                priors = make_priors(height, width, self.config.strides, device=self.device)
                if len(self._priors) > 32:
                    self._priors.clear()
                self._priors[key] = priors
        return priors

    @torch.inference_mode()
    def _detect_batch(
        self, batch: torch.Tensor, score_threshold: float, nms_threshold: float, top_k: int
    ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Run the network on a `(B, 3, H, W)` batch and post-process each image.

        Returns:
            per image: boxes `(N, 4)` `x, y, w, h`, scores `(N,)` and landmarks `(N, 5, 2)`, in network pixels.
        """
        try:
            outputs = self.runner(batch)  # per level; cls and obj are probabilities
        except (MemoryError, torch.OutOfMemoryError) as error:
            raise ImageTooLargeError(
                f"out of memory running a {tuple(batch.shape)} batch; pass input_size to downscale, or use smaller "
                "batches"
            ) from error
        return self._postprocess(outputs, batch.shape[2], batch.shape[3], score_threshold, nms_threshold, top_k)

    @torch.inference_mode()
    def _postprocess(
        self,
        outputs: HeadOutputs,
        height: int,
        width: int,
        score_threshold: float,
        nms_threshold: float,
        top_k: int,
    ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Score, threshold, decode and suppress the runner's outputs for a `height` x `width` batch."""
        priors = self._get_priors(height, width)
        level_sizes = [level.shape[1] for level in outputs.cls]
        priors_per_level = torch.split(priors, level_sizes)
        scores_per_level = [face_scores(cls, obj) for cls, obj in zip(outputs.cls, outputs.obj)]  # (B, P_l) each

        results = []
        for image_index in range(outputs.cls[0].shape[0]):
            # Threshold each level before joining them, so only candidates are copied. Level-major order is
            # kept, because OpenCV's stable sort breaks score ties by that order.
            candidate_scores, candidate_boxes, candidate_points = [], [], []
            for level, level_scores in enumerate(scores_per_level):
                candidates = torch.nonzero(level_scores[image_index] >= score_threshold).squeeze(1)
                level_priors = priors_per_level[level][candidates]
                candidate_scores.append(level_scores[image_index, candidates])
                candidate_boxes.append(decode_boxes_xywh(outputs.bbox[level][image_index, candidates], level_priors))
                candidate_points.append(decode_keypoints(outputs.kps[level][image_index, candidates], level_priors))
            scores = torch.cat(candidate_scores)
            boxes_xywh = torch.cat(candidate_boxes)  # (N, 4)
            landmarks = torch.cat(candidate_points)  # (N, K, 2)
            keep = self._suppress(boxes_xywh, scores, score_threshold, nms_threshold, top_k)
            results.append((boxes_xywh[keep].cpu(), scores[keep].cpu(), landmarks[keep].cpu()))
        return results

    def _suppress(
        self,
        boxes_xywh: torch.Tensor,
        scores: torch.Tensor,
        score_threshold: float,
        nms_threshold: float,
        top_k: int,
    ) -> torch.Tensor:
        if self.nms_mode == "float":
            boxes = torch.cat([boxes_xywh[:, :2], boxes_xywh[:, :2] + boxes_xywh[:, 2:]], dim=1)
            return nms(boxes, scores, nms_threshold, top_k=top_k)
        if scores.numel() <= 1:
            # OpenCV returns a single candidate without calling NMSBoxes (and without its top_k).
            return torch.arange(scores.numel(), device=scores.device)
        # cv::dnn::NMSBoxes keeps scores strictly above the threshold; the decode kept those >= it.
        above = torch.nonzero(scores > score_threshold).squeeze(1)
        return above[nms_opencv(boxes_xywh[above], scores[above], nms_threshold, top_k=top_k)]


def _to_detections(
    boxes_xywh: torch.Tensor,
    scores: torch.Tensor,
    landmarks: torch.Tensor,
    scale: float,
    original_size: tuple[int, int],
) -> Detections:
    boxes = boxes_xywh.numpy().astype(np.float32)
    points = landmarks.numpy().astype(np.float32)
    if scale != 1.0:
        boxes = boxes / np.float32(scale)
        points = points / np.float32(scale)
    boxes_xyxy = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
    return Detections(boxes_xyxy, scores.numpy(), points, image_size=original_size)


def _check_thresholds(score_threshold: float, nms_threshold: float, top_k: int) -> tuple[float, float, int]:
    """Validate the thresholds and return them as `(float, float, int)`."""
    thresholds = []
    for name, value in (("score_threshold", score_threshold), ("nms_threshold", nms_threshold)):
        if not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
            raise ConfigError(f"{name} must be a number in [0, 1], got {value!r}")
        thresholds.append(float(value))
    if isinstance(top_k, numbers.Integral):
        count = int(top_k)
    elif isinstance(top_k, numbers.Real) and math.isfinite(top_k) and float(top_k).is_integer():
        count = int(top_k)
    else:
        count = 0
    if count < 1:
        raise ConfigError(f"top_k must be a positive integer, got {top_k!r}")
    return thresholds[0], thresholds[1], count


def _check_input_size(input_size: int | Sequence[int] | None) -> tuple[int, int] | None:
    if input_size is None:
        return None
    if isinstance(input_size, numbers.Integral):
        input_size = (input_size, input_size)
    if (
        not isinstance(input_size, (Sequence, np.ndarray))
        or len(input_size) != 2
        or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in input_size)
    ):
        raise ImageError(f"input_size must be None, a positive int or (width, height) in pixels, got {input_size!r}")
    return int(input_size[0]), int(input_size[1])
