"""Parity with the official model: raw outputs against onnxruntime, detections against OpenCV."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
from conftest import require_asset
from matching import REFERENCE_PHOTOS, assert_rows_close

from yunet.detector import FaceDetector
from yunet.models import YuNet
from yunet.preprocess import pack_images, round_up
from yunet.weights.official import load_official_checkpoint

ort = pytest.importorskip("onnxruntime")

VARIANTS = {"yunet-n": "yunet_n", "yunet-s": "yunet_s"}
# reference_detections.json keys: yunet-s was run from its fixed-size file, which OpenCV runs at any size.
REFERENCE_KEYS = {"yunet-n": "yunet_n_dynamic", "yunet-s": "yunet_s_640_640"}


@pytest.fixture(scope="module")
def models() -> dict[str, YuNet]:
    return {
        name: load_official_checkpoint(require_asset(f"libfacedetection/weights/{stem}.pth"))
        for name, stem in VARIANTS.items()
    }


@pytest.fixture(scope="module")
def sessions() -> dict[str, object]:
    return {
        name: ort.InferenceSession(
            str(require_asset(f"libfacedetection/onnx/{stem}_dynamic.onnx")), providers=["CPUExecutionProvider"]
        )
        for name, stem in VARIANTS.items()
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(require_asset("images/reference_detections.json").read_text())


def _network_input(path) -> torch.Tensor:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return pack_images([image], round_up(image.shape[0], 32), round_up(image.shape[1], 32))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("photo", REFERENCE_PHOTOS)
def test_raw_outputs_match_official_onnx(variant, photo, models, sessions):
    batch = _network_input(require_asset(f"images/{photo}"))
    session = sessions[variant]
    expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": batch.numpy()})))

    with torch.inference_mode():
        outputs = models[variant].predict(batch)
    for level, stride in enumerate((8, 16, 32)):
        actual = {
            f"cls_{stride}": torch.sigmoid(outputs.cls[level]),
            f"obj_{stride}": torch.sigmoid(outputs.obj[level]),
            f"bbox_{stride}": outputs.bbox[level],
            f"kps_{stride}": outputs.kps[level],
        }
        for name, tensor in actual.items():
            assert tensor.shape == expected[name].shape, name
            difference = np.abs(tensor.numpy() - expected[name]).max()
            assert difference < 1e-4, f"{name}: max abs difference {difference:.2e}"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_fused_model_matches_unfused(variant, models):
    batch = _network_input(require_asset("images/two_people.jpg"))
    model = models[variant]
    fused = model.fuse()

    with torch.inference_mode():
        unfused_outputs = model.predict(batch)
        fused_outputs = fused.predict(batch)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    for unfused_levels, fused_levels in zip(unfused_outputs, fused_outputs):
        for unfused_tensor, fused_tensor in zip(unfused_levels, fused_levels):
            relative = (unfused_tensor - fused_tensor).abs().max() / unfused_tensor.abs().max()
            assert relative < 1e-5


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("photo", REFERENCE_PHOTOS)
def test_detections_match_opencv_reference(variant, photo, models, reference):
    detector = FaceDetector(models[variant], score_threshold=0.5, nms_threshold=0.3, top_k=5000)
    image = cv2.imread(str(require_asset(f"images/{photo}")), cv2.IMREAD_COLOR)

    faces = detector(image)

    expected = np.array(reference[photo][REFERENCE_KEYS[variant]], dtype=np.float32).reshape(-1, 15)
    assert len(faces) == len(expected)
    assert_rows_close(expected, faces.to_opencv(), pixels=0.5, score=1e-3)


def _other_photos() -> list[tuple[str, str]]:
    """Photos outside the reference folder: WIDER FACE val images and transformed reference photos."""
    return [
        ("widerface/val-subset/images", "first-4"),
        ("images/two_people.jpg", "flip"),
        ("images/group_table_6_faces.jpg", "crop-odd"),
        ("images/profile_audience.jpg", "resize-0.7"),
        ("images/dark_night_court.png", "rotate-90"),
    ]


def _load_other(relative: str, transform: str) -> list[np.ndarray]:
    path = require_asset(relative)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.jpg"))[:4]
        return [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in files]
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if transform == "flip":
        return [np.ascontiguousarray(image[:, ::-1])]
    if transform == "crop-odd":
        return [np.ascontiguousarray(image[13:13 + 601, 7:7 + 777])]
    if transform == "resize-0.7":
        return [cv2.resize(image, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)]
    return [cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize(("relative", "transform"), _other_photos())
def test_detections_match_live_opencv(variant, relative, transform, models):
    onnx_path = require_asset(f"libfacedetection/onnx/{VARIANTS[variant]}_dynamic.onnx")
    detector = FaceDetector(models[variant], score_threshold=0.5, nms_threshold=0.3, top_k=5000)
    for image in _load_other(relative, transform):
        height, width = image.shape[:2]
        opencv = cv2.FaceDetectorYN.create(str(onnx_path), "", (width, height), 0.5, 0.3, 5000)
        opencv.setInputSize((width, height))
        _, expected = opencv.detect(image)
        expected = np.zeros((0, 15), np.float32) if expected is None else expected

        faces = detector(image)

        assert len(faces) == len(expected)
        assert_rows_close(expected, faces.to_opencv(), pixels=0.5, score=1e-3)
