"""The modern variants through the ONNX export: onnxruntime matches `predict`, and OpenCV's
`cv2.FaceDetectorYN` finds the same faces as `FaceDetector`."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import torch
from conftest import require_asset
from matching import assert_rows_close
from model_helpers import one_torch_thread  # noqa: F401 (autouse fixture)
from model_helpers import randomize_batch_norm

from yunet.config import ModelConfig, preset_config
from yunet.detector import FaceDetector
from yunet.export import export_onnx
from yunet.models import YuNet

VARIANTS = {
    "yunet-n-rep": preset_config("yunet-n-rep"),
    "yunet-n-modern": preset_config("yunet-n-modern"),
    "eca-decoupled-dfl": ModelConfig(attention="eca", attention_stages=(3, 4, 5), head_kind="decoupled", box_branch="dfl"),
}
SCORE_THRESHOLD = 0.5


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    image = cv2.imread(str(require_asset("images/two_people.jpg")), cv2.IMREAD_COLOR)
    return cv2.resize(image, (320, 224), interpolation=cv2.INTER_AREA)


def build_model(config: ModelConfig) -> YuNet:
    torch.manual_seed(0)
    model = YuNet(config)
    randomize_batch_norm(model)
    return model.eval()


def export(model: YuNet, path: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer warnings
        return str(export_onnx(model, path))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_onnxruntime_matches_predict(name: str, photo: np.ndarray, tmp_path: Path) -> None:
    model = build_model(VARIANTS[name])
    session = ort.InferenceSession(export(model, tmp_path / f"{name}.onnx"))
    images = torch.from_numpy(photo).permute(2, 0, 1)[None].float()

    with torch.no_grad():
        outputs = model.fuse().predict(images)
    expected = [torch.sigmoid(t) for t in outputs.cls] + [torch.sigmoid(t) for t in outputs.obj]
    expected += outputs.bbox + outputs.kps
    actual = session.run(None, {session.get_inputs()[0].name: images.numpy()})

    for index, (actual_output, expected_output) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(actual_output, expected_output.numpy(), rtol=0, atol=1e-4, err_msg=f"output {index}")


@pytest.mark.parametrize("name", list(VARIANTS))
def test_opencv_detects_like_face_detector(name: str, photo: np.ndarray, tmp_path: Path) -> None:
    model = build_model(VARIANTS[name])
    path = export(model, tmp_path / f"{name}.onnx")
    height, width = photo.shape[:2]
    opencv_detector = cv2.FaceDetectorYN.create(path, "", (width, height), SCORE_THRESHOLD, 0.3, 5000)

    expected = FaceDetector(model, score_threshold=SCORE_THRESHOLD)(photo).to_opencv()
    _, rows = opencv_detector.detect(photo)
    actual = np.zeros((0, 15), np.float32) if rows is None else rows

    assert len(expected) > 0, "the random model must give detections for this test to mean anything"
    assert len(actual) == len(expected)
    assert_rows_close(expected, actual, pixels=0.5, score=1e-3)
