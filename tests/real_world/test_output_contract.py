"""Real-world outputs: landmark order, the coordinate contract, empty results and scores (cases 6, 9 and 10
of the real-world checklist), on the frontal portrait F."""

from __future__ import annotations

import json
import sys

import cv2
import numpy as np
import pytest
from conftest import require_asset
from real_world_photos import detector, portrait  # noqa: F401 (fixtures)

from yunet.align import align, crop
from yunet.detector import DEFAULT_NMS_THRESHOLD, DEFAULT_SCORE_THRESHOLD, DEFAULT_TOP_K
from yunet.draw import draw_detections
from yunet.errors import MissingDependencyError
from yunet.results import LANDMARK_NAMES, Landmarks

ONNX_MODEL = "libfacedetection/onnx/yunet_n_dynamic.onnx"


def test_landmarks_are_named_from_subject_view(detector, portrait):
    face = detector(portrait)[0]

    assert Landmarks._fields == LANDMARK_NAMES
    assert LANDMARK_NAMES == ("right_eye", "left_eye", "nose_tip", "right_mouth_corner", "left_mouth_corner")
    # The subject's right eye is on the image-left side of a frontal face.
    assert face.landmarks.right_eye.x < face.landmarks.left_eye.x
    assert face.landmarks.right_mouth_corner.x < face.landmarks.left_mouth_corner.x
    assert face.landmarks.right_eye.y < face.landmarks.nose_tip.y < face.landmarks.right_mouth_corner.y


def test_landmark_order_matches_opencv(detector, portrait):
    height, width = portrait.shape[:2]
    opencv = cv2.FaceDetectorYN.create(str(require_asset(ONNX_MODEL)), "", (width, height), 0.5, 0.3, 5000)
    _, rows = opencv.detect(portrait)

    faces = detector(portrait)

    assert rows is not None and len(rows) == len(faces) == 1
    np.testing.assert_allclose(faces.landmarks[0], rows[0, 4:14].reshape(5, 2), atol=0.5)


def test_flipped_right_eye_mirrors_left_eye(detector, portrait):
    width = portrait.shape[1]
    original = detector(portrait)[0].landmarks
    flipped = detector(np.ascontiguousarray(portrait[:, ::-1]))[0].landmarks

    # With the origin at the corner of the first pixel, x mirrors to width - x. The network is not exactly
    # flip-equivariant, so allow 5 px (3.5% of the 143 px face); the same-name eye is about 60 px away.
    mirrored_left_eye = np.array([width - original.left_eye.x, original.left_eye.y])
    mirrored_right_eye = np.array([width - original.right_eye.x, original.right_eye.y])
    assert np.abs(np.array(flipped.right_eye) - mirrored_left_eye).max() < 5.0
    assert np.abs(np.array(flipped.right_eye) - mirrored_right_eye).max() > 40.0
    assert np.abs(np.array(flipped.left_mouth_corner) - [width - original.right_mouth_corner.x, original.right_mouth_corner.y]).max() < 5.0


def test_boxes_may_extend_past_border_unless_clipped(detector, portrait):
    # Cutting F at x = 260 leaves the face 24 px short of the left border; its box starts left of it.
    cut = np.ascontiguousarray(portrait[:, 260:])

    faces = detector(cut)
    clipped = detector(cut, clip=True)

    assert len(faces) == 1
    assert faces.boxes[0, 0] < 0
    assert clipped.boxes[0, 0] == 0
    assert clipped == faces.clip()
    assert (clipped.landmarks >= 0).all()
    np.testing.assert_array_equal(clipped.boxes[0, 1:], faces.boxes[0, 1:])


def test_coordinates_are_pixels_of_the_input(detector, portrait):
    faces = detector(portrait)
    # Halving the image halves every coordinate: results are never in network or resized pixels.
    half = detector(cv2.resize(portrait, (320, 240), interpolation=cv2.INTER_AREA))

    assert half.image_size == (320, 240)
    np.testing.assert_allclose(half.boxes * 2, faces.boxes, atol=6.0)


@pytest.mark.parametrize("kind", ["black", "noise"])
def test_no_face_gives_typed_empty_result(detector, kind):
    if kind == "black":
        image = np.zeros((480, 640, 3), np.uint8)
    else:
        image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)

    faces = detector(image)

    assert len(faces) == 0
    assert faces.boxes.shape == (0, 4)
    assert faces.scores.shape == (0,)
    assert faces.landmarks.shape == (0, 5, 2)
    assert list(faces) == []
    assert json.loads(faces.to_json()) == {"image_size": [640, 480], "faces": []}
    assert faces.to_dicts() == []
    assert faces.to_opencv().shape == (0, 15)
    assert faces.clip() == faces
    np.testing.assert_array_equal(draw_detections(image, faces), image)
    assert crop(image, faces) == []
    assert [align(image, face) for face in faces] == []


def test_scores_are_sqrt_of_cls_times_obj(detector, portrait):
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(str(require_asset(ONNX_MODEL)), providers=["CPUExecutionProvider"])
    blob = portrait.astype(np.float32).transpose(2, 0, 1)[None]  # 640x480 needs no padding
    outputs = dict(zip([output.name for output in session.get_outputs()], session.run(None, {"input": blob})))
    # The official ONNX outputs cls and obj after their sigmoid.
    best = max(float(np.sqrt(outputs[f"cls_{s}"] * outputs[f"obj_{s}"]).max()) for s in (8, 16, 32))

    faces = detector(portrait)

    assert 0.0 <= faces.scores.min() and faces.scores.max() <= 1.0
    assert abs(float(faces.scores[0]) - best) < 1e-4


def test_thresholds_are_settable_per_call(detector, portrait):
    score = float(detector(portrait).scores[0])  # 0.932

    assert len(detector(portrait, score_threshold=score + 0.01)) == 0
    assert len(detector(portrait, score_threshold=score - 0.01)) == 1
    assert len(detector(portrait, score_threshold=0.05, nms_threshold=0.99)) > 1
    assert len(detector(portrait, score_threshold=0.05, nms_threshold=0.99, top_k=1)) == 1
    assert len(detector(portrait)) == 1


def test_default_thresholds(detector):
    assert (DEFAULT_SCORE_THRESHOLD, DEFAULT_NMS_THRESHOLD, DEFAULT_TOP_K) == (0.5, 0.3, 5000)
    assert (detector.score_threshold, detector.nms_threshold, detector.top_k) == (0.5, 0.3, 5000)


def test_supervision_conversion(detector, portrait):
    supervision = pytest.importorskip("supervision")
    faces = detector(portrait)

    converted = faces.to_supervision()
    keypoints = faces.to_supervision_keypoints()
    empty = detector(np.zeros((64, 64, 3), np.uint8)).to_supervision()

    assert isinstance(converted, supervision.Detections)
    np.testing.assert_array_equal(converted.xyxy, faces.boxes)
    np.testing.assert_array_equal(converted.confidence, faces.scores)
    np.testing.assert_array_equal(converted.class_id, [0])
    np.testing.assert_array_equal(converted.data["landmarks"], faces.landmarks)
    assert isinstance(keypoints, supervision.KeyPoints)
    np.testing.assert_array_equal(keypoints.xy, faces.landmarks)
    assert len(empty) == 0
    assert empty.xyxy.shape == (0, 4)


def test_supervision_missing_raises_clear_error(detector, portrait, monkeypatch):
    faces = detector(portrait)
    monkeypatch.setitem(sys.modules, "supervision", None)  # makes `import supervision` raise ImportError

    with pytest.raises(MissingDependencyError, match=r"yunet\[supervision\]"):
        faces.to_supervision()
    with pytest.raises(MissingDependencyError, match=r"yunet\[supervision\]"):
        faces.to_supervision_keypoints()
