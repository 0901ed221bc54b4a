"""Int8 quantization: the file runs in onnxruntime and agrees with the float model on real photographs."""

from __future__ import annotations

import cv2
import pytest
from conftest import require_asset

from yunet.backends import OnnxRuntimeRunner
from yunet.detector import FaceDetector
from yunet.errors import ExportError
from yunet.export import export_onnx
from yunet.quantize import quantize_int8, measure_agreement
from yunet.weights.official import load_official_checkpoint

pytest.importorskip("onnxruntime")

CALIBRATION = ["crowd_largest_selfie.jpg", "group_table_6_faces.jpg", "profile_audience.jpg", "dark_night_court.png"]
EVALUATION = ["two_people.jpg", "group_11_faces.jpg", "portrait_astronaut.png", "exif_orientation6.jpg"]


@pytest.fixture(scope="module")
def official_model():
    return load_official_checkpoint(require_asset("libfacedetection/weights/yunet_n.pth"))


def _read(name: str):
    return cv2.imread(str(require_asset(f"images/{name}")))


@pytest.mark.slow
def test_int8_agrees_with_float(official_model, tmp_path):
    float_path = export_onnx(official_model, tmp_path / "float.onnx", opset=13)
    int8_path = quantize_int8(float_path, tmp_path / "int8.onnx", [_read(name) for name in CALIBRATION])
    float_detector = FaceDetector(official_model, backend="onnxruntime", large_face_pass=False)
    int8_detector = FaceDetector(official_model, backend="onnxruntime", large_face_pass=False)
    int8_detector.runner = OnnxRuntimeRunner(str(int8_path))

    pairs = [(float_detector(_read(name)), int8_detector(_read(name))) for name in EVALUATION]
    agreement = measure_agreement(pairs)

    assert agreement.float_faces >= 14
    assert agreement.matched >= 0.85 * agreement.float_faces
    assert agreement.mean_iou >= 0.85
    assert agreement.mean_landmark_error <= 2.0


def test_quantize_rejects_old_opset(official_model, tmp_path):
    float_path = export_onnx(official_model, tmp_path / "float11.onnx", opset=11)

    with pytest.raises(ExportError, match="opset 13"):
        quantize_int8(float_path, tmp_path / "int8.onnx", [_read("two_people.jpg")])


def test_quantize_needs_calibration_images(official_model, tmp_path):
    float_path = export_onnx(official_model, tmp_path / "float.onnx", opset=13)

    with pytest.raises(ExportError, match="calibration image"):
        quantize_int8(float_path, tmp_path / "int8.onnx", [])
