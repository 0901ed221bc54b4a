"""Tests of the annotation readers: labelv2, official .mat and bbx_gt.txt, error locations."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from conftest import require_asset

from yunet.errors import DatasetError
from yunet.training.annotations import check_images, read_labelv2, read_wider_mat, read_wider_txt

FACE_WITH_LANDMARKS = "10 10 50 60 20 30 0 40 30 0 30 40 0 22 50 0 38 50 0"
FACE_WITHOUT_LANDMARKS = "60 10 90 50 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1"


def _write(tmp_path, text: str):
    path = tmp_path / "labelv2.txt"
    path.write_text(text)
    return path


def test_labelv2_mini_widerface() -> None:
    root = require_asset("mini-widerface")
    records = read_labelv2(root / "labelv2.txt", root / "images")
    assert len(records) == 13
    assert sum(record.num_faces for record in records) == 535
    assert all(record.landmark_weights.min(initial=1) == 1 for record in records)


def test_labelv2_missing_landmarks_weight_zero(tmp_path) -> None:
    path = _write(tmp_path, f"# a.jpg 100 100\n{FACE_WITH_LANDMARKS}\n{FACE_WITHOUT_LANDMARKS}\n")
    (record,) = read_labelv2(path, tmp_path)
    assert record.num_faces == 2
    assert record.landmark_weights.tolist() == [1.0, 0.0]
    np.testing.assert_allclose(record.landmarks[0, 0], [20, 30])


def test_labelv2_malformed_line_names_location(tmp_path) -> None:
    path = _write(tmp_path, f"# a.jpg 100 100\n{FACE_WITH_LANDMARKS}\n10 10 50\n")
    with pytest.raises(DatasetError, match=r"labelv2\.txt:3: a face line has 4"):
        read_labelv2(path, tmp_path)


def test_labelv2_non_numeric_names_location(tmp_path) -> None:
    path = _write(tmp_path, "# a.jpg 100 100\n10 10 x 50\n")
    with pytest.raises(DatasetError, match=r"labelv2\.txt:2: non-numeric"):
        read_labelv2(path, tmp_path)


def test_labelv2_box_outside_image_warns(tmp_path, caplog) -> None:
    path = _write(tmp_path, "# a.jpg 100 100\n80 80 120 110\n200 200 300 300\n")
    with caplog.at_level(logging.WARNING):
        (record,) = read_labelv2(path, tmp_path)
    np.testing.assert_allclose(record.boxes, [[80, 80, 100, 100]])
    assert "labelv2.txt:2" in caplog.text
    assert "labelv2.txt:3" in caplog.text


def test_missing_image_reported(tmp_path) -> None:
    path = _write(tmp_path, "# gone.jpg 100 100\n10 10 50 50\n")
    records = read_labelv2(path, tmp_path)
    with pytest.raises(DatasetError, match="gone.jpg"):
        check_images(records)


def test_wider_txt_format(tmp_path) -> None:
    path = tmp_path / "wider_face_train_bbx_gt.txt"
    path.write_text(
        "0--Parade/a.jpg\n2\n10 20 30 40 0 0 0 0 0 0\n5 5 10 10 0 0 0 1 0 0\n"
        "0--Parade/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n"
    )
    records = read_wider_txt(path, tmp_path)
    assert [record.num_faces for record in records] == [1, 0]
    np.testing.assert_allclose(records[0].boxes, [[10, 20, 40, 60]])
    assert records[0].landmark_weights.tolist() == [0.0]


def test_wider_txt_bad_count_names_line(tmp_path) -> None:
    path = tmp_path / "gt.txt"
    path.write_text("0--Parade/a.jpg\ntwo\n")
    with pytest.raises(DatasetError, match=r"gt\.txt:2"):
        read_wider_txt(path, tmp_path)


def test_wider_mat_train_subset() -> None:
    root = require_asset("widerface/train-subset")
    records = check_images(read_wider_mat(root / "wider_face_train.mat", root / "images"), missing="skip")
    assert len(records) == 411
    # 10,932 annotated faces, less those flagged invalid.
    assert 10_000 < sum(record.num_faces for record in records) <= 10_932
