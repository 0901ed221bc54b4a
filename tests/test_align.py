"""Box crops and 5-point ArcFace alignment, including faces at the image border."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "real_world"))
from real_world_photos import detector, portrait  # noqa: E402, F401 (fixtures)

from yunet.align import ARCFACE_TEMPLATE, align, alignment_matrix, crop, crop_box  # noqa: E402
from yunet.errors import YunetError  # noqa: E402
from yunet.results import Detections, Face  # noqa: E402


def _least_squares_similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Plain reference: solve `[a -b tx; b a ty]` by linear least squares."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source, target):
        rows += [[x, -y, 1, 0], [y, x, 0, 1]]
        values += [u, v]
    a, b, tx, ty = np.linalg.lstsq(np.array(rows, float), np.array(values, float), rcond=None)[0]
    return np.array([[a, -b, tx], [b, a, ty]])


def test_crop_box_adds_margin():
    image = np.arange(100 * 200, dtype=np.int32).reshape(100, 200)

    cropped = crop_box(image, (50, 20, 70, 60), margin=0.25)

    assert cropped.shape == (60, 30)  # 40 + 2 * 10 rows, 20 + 2 * 5 columns
    np.testing.assert_array_equal(cropped, image[10:70, 45:75])


def test_crop_box_pads_past_border():
    image = np.full((50, 60, 3), 7, np.uint8)

    cropped = crop_box(image, (-10, -5, 20, 25), margin=0.0)

    assert cropped.shape == (30, 30, 3)
    assert (cropped[:5] == 0).all()
    assert (cropped[:, :10] == 0).all()
    assert (cropped[5:, 10:] == 7).all()


def test_crop_box_outside_image_is_zeros():
    cropped = crop_box(np.ones((10, 10), np.uint8), (20, 20, 30, 26), margin=0.0)

    assert cropped.shape == (6, 10)
    assert not cropped.any()


def test_crop_square_is_square(portrait, detector):
    face = detector(portrait)[0]

    cropped = crop(portrait, face, margin=0.1, square=True)

    assert abs(cropped.shape[0] - cropped.shape[1]) <= 1
    assert cropped.shape[0] >= 1.2 * face.height


def test_crop_detections_gives_list(portrait, detector):
    faces = detector(portrait)

    crops = crop(portrait, faces)

    assert len(crops) == 1
    assert crops[0].shape[2] == 3
    assert crop(portrait, Detections.empty((640, 480))) == []


def test_crop_rejects_negative_margin(portrait):
    with pytest.raises(YunetError, match="margin"):
        crop_box(portrait, (0, 0, 10, 10), margin=-0.1)


def test_alignment_matrix_is_least_squares_similarity(portrait, detector):
    landmarks = detector(portrait).landmarks[0]

    matrix = alignment_matrix(landmarks)

    reference = _least_squares_similarity(landmarks, ARCFACE_TEMPLATE)
    mapped = landmarks @ matrix[:, :2].T + matrix[:, 2]
    mapped_reference = landmarks @ reference[:, :2].T + reference[:, 2]
    assert matrix[0, 0] == pytest.approx(matrix[1, 1], abs=1e-9)
    assert matrix[0, 1] == pytest.approx(-matrix[1, 0], abs=1e-9)
    np.testing.assert_allclose(mapped, mapped_reference, atol=0.01)


def test_align_puts_landmarks_on_template(portrait, detector):
    face = detector(portrait)[0]

    chip = align(portrait, face)
    found = detector(chip, score_threshold=0.5)

    assert chip.shape == (112, 112, 3)
    assert chip.dtype == np.uint8
    assert len(found) == 1
    # Five points fit by four parameters leave residuals; 6 px on a 112 px chip is measured slack.
    np.testing.assert_allclose(found.landmarks[0], ARCFACE_TEMPLATE, atol=6.0)


def test_align_scales_template_with_size(portrait, detector):
    face = detector(portrait)[0]

    small = align(portrait, face, size=112)
    large = align(portrait, face, size=224)

    assert large.shape == (224, 224, 3)
    resized = cv2.resize(large, (112, 112), interpolation=cv2.INTER_AREA)
    assert np.abs(resized.astype(int) - small.astype(int)).mean() < 8


def test_align_face_at_border_pads(portrait, detector):
    # F cut 20 px into the face's left side: the chip keeps its size, with zeros where the image ends.
    cut = np.ascontiguousarray(portrait[:, 256:])
    face = detector(cut)[0]

    chip = align(cut, face)
    cropped = crop(cut, face, margin=0.3)

    assert chip.shape == (112, 112, 3)
    assert (chip[:, 0] == 0).all()
    assert cropped.shape[1] > face.width * 1.5
    assert (cropped[:, 0] == 0).all()


def test_align_accepts_gray_and_landmark_arrays(portrait, detector):
    face = detector(portrait)[0]
    gray = cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY)

    chip = align(gray, np.asarray(face.landmarks))

    assert chip.shape == (112, 112)


def test_align_rejects_bad_landmarks(portrait):
    with pytest.raises(YunetError, match="five finite"):
        align(portrait, np.zeros((4, 2)))
    with pytest.raises(YunetError, match="five finite"):
        align(portrait, np.full((5, 2), np.nan))


def test_align_rejects_non_array_image():
    face = Face(box=(0, 0, 10, 10), score=1.0, landmarks=np.zeros((5, 2)))

    with pytest.raises(YunetError, match="NumPy array"):
        align("photo.jpg", face)
