"""ONNX export: the official layout, onnxruntime at any size, and detections in cv2.FaceDetectorYN."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from conftest import require_asset
from matching import REFERENCE_PHOTOS, assert_rows_close
from torch import nn

from yunet.config import yunet_n_config
from yunet.detector import FaceDetector
from yunet.errors import ExportError
from yunet.export import OfficialLayout, export_onnx, output_names
from yunet.models import YuNet
from yunet.weights.official import load_official_checkpoint

ort = pytest.importorskip("onnxruntime")

RANDOM_PHOTOS = ["two_people.jpg", "group_11_faces.jpg", "exif_orientation6.jpg", "noface_night_bus.jpg"]
RANDOM_SCORE_THRESHOLD = 0.58  # about the top 1% of the random model's scores


def random_yunet(seed: int = 0) -> YuNet:
    """Build yunet-n with random convolutions and BatchNorm statistics scaled to keep 0-255 inputs finite."""
    generator = torch.Generator().manual_seed(seed)
    model = YuNet(yunet_n_config())
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                std = math.sqrt(1.0 / fan_in) / (100.0 if module.in_channels == 3 else 1.0)
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
                if module.bias is not None:
                    module.bias.copy_(torch.rand(module.bias.shape, generator=generator) * 0.2 - 0.1)
            elif isinstance(module, nn.BatchNorm2d):
                size = module.num_features
                module.running_mean.copy_(torch.rand(size, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(size, generator=generator) * 1.5 + 0.5)
                module.weight.copy_(torch.rand(size, generator=generator) + 0.5)
                module.bias.copy_(torch.rand(size, generator=generator) * 0.4 - 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def official_model() -> YuNet:
    return load_official_checkpoint(require_asset("libfacedetection/weights/yunet_n.pth"))


@pytest.fixture(scope="module")
def dynamic_onnx(official_model, tmp_path_factory) -> str:
    return str(export_onnx(official_model, tmp_path_factory.mktemp("onnx") / "yunet_n_dynamic.onnx"))


def test_export_has_official_names_and_shapes(dynamic_onnx):
    session = ort.InferenceSession(dynamic_onnx, providers=["CPUExecutionProvider"])

    assert [node.name for node in session.get_inputs()] == ["input"]
    assert [node.name for node in session.get_outputs()] == output_names()
    outputs = session.run(None, {"input": np.zeros((2, 3, 96, 160), np.float32)})
    expected_cells = [96 * 160 // (s * s) for s in (8, 16, 32)]
    channels = [1] * 3 + [1] * 3 + [4] * 3 + [10] * 3
    assert [o.shape for o in outputs] == [(2, cells, c) for cells, c in zip(expected_cells * 4, channels)]


@pytest.mark.parametrize("shape", [(1, 3, 320, 320), (3, 3, 480, 640), (2, 3, 928, 1600)])
def test_export_matches_torch_at_any_size(official_model, dynamic_onnx, shape, capfd):
    session = ort.InferenceSession(dynamic_onnx, providers=["CPUExecutionProvider"])
    images = torch.rand(shape, generator=torch.Generator().manual_seed(0)) * 255

    outputs = session.run(None, {"input": images.numpy()})
    with torch.inference_mode():
        expected = OfficialLayout(official_model.fuse())(images)

    for name, actual, reference in zip(output_names(), outputs, expected):
        np.testing.assert_allclose(actual, reference.numpy(), atol=1e-4, rtol=0, err_msg=name)
    assert capfd.readouterr().err == "", "onnxruntime printed warnings"


def test_export_cls_obj_are_probabilities(dynamic_onnx):
    session = ort.InferenceSession(dynamic_onnx, providers=["CPUExecutionProvider"])

    outputs = session.run(None, {"input": np.full((1, 3, 64, 64), 128, np.float32)})

    for probabilities in outputs[:6]:
        assert probabilities.min() >= 0.0
        assert probabilities.max() <= 1.0


@pytest.mark.parametrize("size", [(641, 480), (640, 0), (16, 16)])
def test_export_rejects_bad_static_size(official_model, tmp_path, size):
    with pytest.raises(ExportError, match="multiples of 32"):
        export_onnx(official_model, tmp_path / "bad.onnx", static=size)


def test_static_export_has_fixed_input(official_model, tmp_path):
    path = export_onnx(official_model, tmp_path / "static.onnx", static=(640, 480))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    assert session.get_inputs()[0].shape == [1, 3, 480, 640]
    assert session.get_outputs()[0].shape == [1, 4800, 1]


def _opencv_rows(onnx_path: str, image: np.ndarray, score_threshold: float) -> np.ndarray:
    height, width = image.shape[:2]
    detector = cv2.FaceDetectorYN.create(onnx_path, "", (width, height), score_threshold, 0.3, 5000)
    detector.setInputSize((width, height))
    _, rows = detector.detect(image)
    return np.zeros((0, 15), np.float32) if rows is None else rows


def _assert_opencv_agrees(model: YuNet, onnx_path: str, photos: list[str], score_threshold: float) -> int:
    detector = FaceDetector(model, score_threshold=score_threshold, large_face_pass=False)
    total = 0
    for photo in photos:
        image = cv2.imread(str(require_asset(f"images/{photo}")), cv2.IMREAD_COLOR)
        expected = detector(image).to_opencv()
        actual = _opencv_rows(onnx_path, image, score_threshold)
        assert len(actual) == len(expected), f"{photo}: OpenCV found {len(actual)} faces, FaceDetector {len(expected)}"
        assert_rows_close(expected, actual, pixels=0.5, score=1e-3)
        total += len(expected)
    return total


@pytest.mark.slow
def test_opencv_runs_static_export_like_detector(official_model, tmp_path):
    path = export_onnx(official_model, tmp_path / "yunet_n_640x640.onnx", static=(640, 640))

    total = _assert_opencv_agrees(official_model, str(path), REFERENCE_PHOTOS, 0.5)

    assert total > 600  # the crowd alone has 662 faces


@pytest.mark.slow
def test_opencv_runs_export_of_random_model(tmp_path):
    model = random_yunet()
    path = export_onnx(model, tmp_path / "random.onnx", static=(640, 640))

    total = _assert_opencv_agrees(model, str(path), RANDOM_PHOTOS, RANDOM_SCORE_THRESHOLD)

    assert total > 10, "the random model must produce detections for this test to mean anything"


def test_opencv_runs_dynamic_export(dynamic_onnx, official_model):
    _assert_opencv_agrees(official_model, dynamic_onnx, ["two_people.jpg", "group_11_faces.jpg"], 0.5)
