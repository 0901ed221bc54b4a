"""The onnxruntime backend against the torch backend and against the export run by cv2.FaceDetectorYN."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import require_asset
from matching import assert_rows_close, match_rows

from yunet.backends import OnnxRuntimeRunner, TorchRunner, default_session_options
from yunet.detector import FaceDetector
from yunet.errors import ConfigError
from yunet.export import export_onnx
from yunet.weights.official import load_official_checkpoint

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def official_model():
    return load_official_checkpoint(require_asset("libfacedetection/weights/yunet_n.pth"))


@pytest.fixture(scope="module")
def detectors(official_model):
    return {
        backend: FaceDetector(official_model, backend=backend, large_face_pass=False)
        for backend in ("torch", "onnxruntime")
    }


def test_runners_return_same_probabilities(official_model):
    images = torch.rand(2, 3, 160, 224, generator=torch.Generator().manual_seed(1)) * 255
    fused = official_model.fuse()

    torch_outputs = TorchRunner(fused, torch.device("cpu"))(images)
    onnx_outputs = OnnxRuntimeRunner(official_model)(images)

    for field in ("cls", "obj", "bbox", "kps"):
        for expected, actual in zip(getattr(torch_outputs, field), getattr(onnx_outputs, field)):
            torch.testing.assert_close(actual, expected, atol=1e-4, rtol=0)
    assert float(torch_outputs.cls[0].min()) >= 0.0, "cls must be a probability"


@pytest.mark.parametrize("photo", ["two_people.jpg", "group_table_6_faces.jpg", "dark_night_court.png"])
def test_backends_give_same_detections(detectors, photo):
    image = cv2.imread(str(require_asset(f"images/{photo}")))

    expected = detectors["torch"](image).to_opencv()
    actual = detectors["onnxruntime"](image).to_opencv()

    assert_rows_close(expected, actual, pixels=0.5, score=1e-3)


def test_backends_agree_on_batch(detectors):
    images = [cv2.imread(str(require_asset(f"images/{name}"))) for name in ("two_people.jpg", "noface_landscape.jpg")]

    expected = detectors["torch"](images)
    actual = detectors["onnxruntime"](images)

    assert [len(result) for result in actual] == [len(result) for result in expected]
    for torch_result, onnx_result in zip(expected, actual):
        assert_rows_close(torch_result.to_opencv(), onnx_result.to_opencv())


@pytest.mark.slow
def test_torch_onnxruntime_opencv_agree_on_crowd(official_model, detectors, tmp_path):
    # Scores differ by about 1e-7 between runtimes, which can reorder near ties before greedy NMS. On this
    # crowd no reorder changes which faces survive OpenCV's integer-rect NMS, so all three keep 662 faces.
    image = cv2.imread(str(require_asset("images/crowd_largest_selfie.jpg")))
    path = export_onnx(official_model, tmp_path / "yunet_n.onnx", static=(640, 640))
    opencv = cv2.FaceDetectorYN.create(str(path), "", (image.shape[1], image.shape[0]), 0.5, 0.3, 5000)
    _, opencv_rows = opencv.detect(image)

    torch_rows = detectors["torch"](image).to_opencv()
    onnx_rows = detectors["onnxruntime"](image).to_opencv()

    assert len(torch_rows) == len(onnx_rows) == len(opencv_rows)
    for first, second in ((torch_rows, onnx_rows), (torch_rows, opencv_rows), (onnx_rows, opencv_rows)):
        expected, actual = match_rows(first, second)
        assert np.abs(expected[:, :4] - actual[:, :4]).max() <= 1.0
        assert np.abs(expected[:, 14] - actual[:, 14]).max() <= 1e-3


def test_session_threads_follow_torch_setting():
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert default_session_options().intra_op_num_threads == 1
    finally:
        torch.set_num_threads(previous)
    assert default_session_options(num_threads=3).intra_op_num_threads == 3


def test_unknown_backend_raises(official_model):
    with pytest.raises(ConfigError, match="backend must be one of"):
        FaceDetector(official_model, backend="tensorrt")
