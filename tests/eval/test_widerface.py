"""Tests of the WIDER FACE protocol: hand-computed cases, ground truth as predictions, real models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import require_asset
from yunet.errors import DatasetError
from yunet.eval.inference import ModelDetector, OpenCVDetector, list_images, predict_folder
from yunet.eval.submission import read_predictions, write_predictions
from yunet.eval.widerface import DIFFICULTIES, ImageGroundTruth, WiderFaceGroundTruth, evaluate, load_ground_truth, voc_ap



def _ground_truth(boxes: list[list[float]], counted: list[bool]) -> WiderFaceGroundTruth:
    mask = np.array(counted, dtype=bool)
    image = ImageGroundTruth(boxes=np.array(boxes, dtype=np.float64), counted={d: mask for d in DIFFICULTIES})
    other = ImageGroundTruth(boxes=np.array([[0.0, 0.0, 10.0, 10.0]]), counted={d: np.ones(1, bool) for d in DIFFICULTIES})
    return WiderFaceGroundTruth(images={"0--Parade": {"a": image, "b": other}})


FACE_A = [10.0, 10.0, 50.0, 50.0]
FACE_B = [200.0, 200.0, 40.0, 40.0]


@pytest.fixture(scope="module")
def val_ground_truth() -> WiderFaceGroundTruth:
    return load_ground_truth(require_asset("widerface/labelv2/val/gt"))


def test_widerface_one_hit_one_false_positive() -> None:
    ground_truth = _ground_truth([FACE_A, FACE_B], [True, True])
    predictions = {"0--Parade": {"a": np.array([FACE_A + [0.9], [400, 400, 30, 30, 0.5]])}}
    result = evaluate(predictions, ground_truth)
    # Only the first prediction is above every threshold but the lowest: precision 1 at recall 0.5.
    assert result.ap["hard"] == pytest.approx(0.5)
    assert result.num_faces["hard"] == 2


def test_widerface_late_hit_after_false_positive() -> None:
    ground_truth = _ground_truth([FACE_A, FACE_B], [True, True])
    predictions = {"0--Parade": {"a": np.array([FACE_A + [1.0], [400, 400, 30, 30, 0.6], FACE_B + [0.2]])}}
    result = evaluate(predictions, ground_truth)
    # Normalized scores 1, 0.5, 0: (P, R) = (1, 0.5), then (0.5, 0.5), then (2/3, 1) at threshold 0.
    assert result.ap["easy"] == pytest.approx(0.5 * 1.0 + 0.5 * 2.0 / 3.0)


def test_widerface_ignored_face_is_not_false_positive() -> None:
    ground_truth = _ground_truth([FACE_A, FACE_B], [True, False])
    predictions = {"0--Parade": {"a": np.array([FACE_B + [1.0], FACE_A + [0.0]])}}
    result = evaluate(predictions, ground_truth)
    assert result.ap["medium"] == pytest.approx(1.0)
    assert result.num_faces["medium"] == 1


def test_widerface_iou_below_half_misses() -> None:
    ground_truth = _ground_truth([FACE_A], [True])
    # Same size, shifted by 20 of 40 px: inclusive-pixel IoU 861 / 2501, under 0.5.
    shifted = [30.0, 10.0, 40.0, 40.0, 1.0]
    result = evaluate({"0--Parade": {"a": np.array([shifted, shifted[:4] + [0.5]])}}, ground_truth)
    assert result.ap["hard"] == 0.0


def test_widerface_subset_is_reported() -> None:
    ground_truth = _ground_truth([FACE_A], [True])
    result = evaluate({"0--Parade": {"a": np.array([FACE_A + [1.0]])}}, ground_truth)
    assert result.is_subset
    assert "SUBSET: 1 of 2" in result.summary()
    full = evaluate({"0--Parade": {"a": np.array([FACE_A + [1.0]])}}, ground_truth, restrict_to_predicted=False)
    assert full.ap["hard"] == pytest.approx(0.5)
    assert not full.is_subset


def test_widerface_unknown_image_rejected() -> None:
    ground_truth = _ground_truth([FACE_A], [True])
    with pytest.raises(DatasetError, match="0--Parade/zzz"):
        evaluate({"0--Parade": {"zzz": np.zeros((0, 5))}}, ground_truth)


def test_voc_ap_step_curve() -> None:
    assert voc_ap(np.array([0.5, 1.0]), np.array([1.0, 0.5])) == pytest.approx(0.75)


def test_submission_roundtrip(tmp_path) -> None:
    predictions = {"0--Parade": {"x": np.array([[1.5, 2.0, 30.0, 40.0, 0.75]]), "y": np.zeros((0, 5))}}
    write_predictions(tmp_path, predictions)
    loaded = read_predictions(tmp_path)
    np.testing.assert_allclose(loaded["0--Parade"]["x"], predictions["0--Parade"]["x"], atol=1e-6)
    assert loaded["0--Parade"]["y"].shape == (0, 5)


def test_submission_malformed_line_names_file(tmp_path) -> None:
    (tmp_path / "0--Parade").mkdir()
    (tmp_path / "0--Parade" / "x.txt").write_text("x\n2\n1 2 3 4 0.5\n1 2 three 4 0.5\n")
    with pytest.raises(DatasetError, match=r"x\.txt:4"):
        read_predictions(tmp_path)


@pytest.mark.slow
def test_ground_truth_as_predictions_full_val(tmp_path, val_ground_truth) -> None:
    predictions = {
        event: {name: np.concatenate([image.boxes, np.ones((len(image.boxes), 1))], axis=1) for name, image in images.items()}
        for event, images in val_ground_truth.images.items()
    }
    write_predictions(tmp_path, predictions)
    result = evaluate(read_predictions(tmp_path), val_ground_truth)
    assert not result.is_subset
    assert result.num_images == 3226
    # Two val images hold boxes that are duplicates of, or nearly cover, another box, so the greedy match
    # sends a few predictions to the wrong face: AP falls short of 1 by about 1e-4 there.
    for difficulty in DIFFICULTIES:
        assert result.ap[difficulty] > 0.999


def test_ground_truth_as_predictions_subset(val_ground_truth) -> None:
    images = val_ground_truth.images["0--Parade"]
    names = sorted(images)[:40]
    predictions = {
        "0--Parade": {
            name: np.concatenate([images[name].boxes, np.linspace(1, 0.5, len(images[name].boxes))[:, None]], axis=1)
            for name in names
        }
    }
    result = evaluate(predictions, val_ground_truth)
    assert result.is_subset
    for difficulty in DIFFICULTIES:
        assert result.ap[difficulty] == pytest.approx(1.0)


@pytest.mark.slow
def test_official_onnx_subset_ap(val_ground_truth) -> None:
    onnx_path = require_asset("libfacedetection/onnx/yunet_n_dynamic.onnx")
    images = list_images(require_asset("widerface/val-subset/images"))
    result = evaluate(predict_folder(OpenCVDetector(onnx_path), images), val_ground_truth)
    assert result.is_subset
    # Published val-subset APs of yunet-n run by OpenCV at score 0.02, NMS 0.45.
    assert result.ap["easy"] == pytest.approx(0.843, abs=0.001)
    assert result.ap["medium"] == pytest.approx(0.851, abs=0.001)
    assert result.ap["hard"] == pytest.approx(0.818, abs=0.001)


@pytest.mark.slow
def test_model_detector_matches_opencv_ap(val_ground_truth, official_weights) -> None:
    from yunet.weights import load_official_checkpoint

    images = list_images(require_asset("widerface/val-subset/images"))[:6]
    onnx_path = require_asset("libfacedetection/onnx/yunet_n_dynamic.onnx")
    reference = evaluate(predict_folder(OpenCVDetector(onnx_path), images), val_ground_truth)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on a busy 2-core machine wait on each other
    try:
        detector = ModelDetector(load_official_checkpoint(official_weights["yunet-n"]))
        ours = evaluate(predict_folder(detector, images), val_ground_truth)
    finally:
        torch.set_num_threads(previous_threads)
    for difficulty in DIFFICULTIES:
        assert ours.ap[difficulty] == pytest.approx(reference.ap[difficulty], abs=1e-3)


@pytest.mark.slow
def test_face_detector_matches_opencv_ap(val_ground_truth, official_weights) -> None:
    from yunet.detector import FaceDetector

    images = list_images(require_asset("widerface/val-subset/images"))[:6]
    onnx_path = require_asset("libfacedetection/onnx/yunet_n_dynamic.onnx")
    reference = evaluate(predict_folder(OpenCVDetector(onnx_path), images), val_ground_truth)
    detector = FaceDetector.from_pretrained(official_weights["yunet-n"], device="cpu")

    def detect(image):
        detections = detector(image, score_threshold=0.02, nms_threshold=0.45, top_k=5000)
        return detections.boxes, detections.scores

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ours = evaluate(predict_folder(detect, images), val_ground_truth)
    finally:
        torch.set_num_threads(previous_threads)
    for difficulty in DIFFICULTIES:
        assert ours.ap[difficulty] == pytest.approx(reference.ap[difficulty], abs=1e-3)
