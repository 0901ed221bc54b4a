"""`Detections` indexing, filtering and conversions on hand-made results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from yunet.errors import YunetError
from yunet.results import LANDMARK_NAMES, Detections


def _three_faces() -> Detections:
    boxes = np.array([[0, 0, 10, 10], [20, 20, 40, 40], [50, 5, 60, 25]], np.float32)
    scores = np.array([0.9, 0.7, 0.55], np.float32)
    landmarks = np.arange(30, dtype=np.float32).reshape(3, 5, 2)
    return Detections(boxes, scores, landmarks, image_size=(64, 48))


def test_integer_index_gives_face():
    faces = _three_faces()

    face = faces[1]

    assert face.box == (20.0, 20.0, 40.0, 40.0)
    assert face.score == pytest.approx(0.7)
    assert face.landmarks.right_eye == (10.0, 11.0)
    assert faces[-1].score == pytest.approx(0.55)
    assert faces[np.int64(0)].score == pytest.approx(0.9)


def test_boolean_mask_filters_faces():
    faces = _three_faces()

    confident = faces[faces.scores > 0.6]

    assert isinstance(confident, Detections)
    assert len(confident) == 2
    assert confident.image_size == (64, 48)
    np.testing.assert_array_equal(confident.boxes, faces.boxes[:2])


def test_integer_array_and_slice_select_faces():
    faces = _three_faces()

    assert faces[[2, 0]].scores.tolist() == pytest.approx([0.55, 0.9])
    assert len(faces[1:]) == 2
    assert len(faces[[]]) == 0


def test_bad_indexes_raise_index_error():
    faces = _three_faces()

    with pytest.raises(IndexError):
        faces[np.array([True, False])]
    with pytest.raises(IndexError):
        faces[[0.5]]
    with pytest.raises(IndexError):
        faces[3]


def test_arrays_are_read_only():
    faces = _three_faces()

    with pytest.raises(ValueError):
        faces.boxes[0, 0] = 5.0


def test_json_and_opencv_rows():
    faces = _three_faces()

    decoded = json.loads(faces.to_json())
    rows = faces.to_opencv()

    assert decoded["image_size"] == [64, 48]
    assert set(decoded["faces"][0]["landmarks"]) == set(LANDMARK_NAMES)
    assert rows.shape == (3, 15)
    assert rows[1, :4].tolist() == [20.0, 20.0, 20.0, 20.0]  # x, y, w, h
    assert rows[1, 14] == pytest.approx(0.7)


def test_bad_mask_is_yunet_error():
    faces = _three_faces()

    with pytest.raises(YunetError, match="boolean mask"):
        faces[np.array([True, False])]
