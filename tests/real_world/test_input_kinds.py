"""Real-world inputs: any size without set-up, odd sizes, gray, alpha and colour order (cases 1-5 of the
real-world checklist), on the frontal portrait F."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from real_world_photos import detector, portrait, source_photo  # noqa: F401 (fixtures)

from yunet.errors import ImageError
from yunet.results import Detections


def _assert_same_faces(expected: Detections, actual: Detections, *, pixels: float, score: float) -> None:
    assert len(actual) == len(expected)
    np.testing.assert_allclose(actual.boxes, expected.boxes, atol=pixels)
    np.testing.assert_allclose(actual.landmarks, expected.landmarks, atol=pixels)
    np.testing.assert_allclose(actual.scores, expected.scores, atol=score)


def test_sizes_change_without_setup_call(detector, portrait):
    faces = detector(portrait)
    transposed = detector(np.ascontiguousarray(portrait.transpose(1, 0, 2)))
    again = detector(portrait)

    assert len(faces) == 1
    assert faces.image_size == (640, 480)
    assert transposed.image_size == (480, 640)
    assert len(transposed) == 1  # the sideways face is still found, at 0.76
    assert transposed.boxes[0, 2] <= 480 + 1
    assert again == faces


def test_one_pixel_image_gives_empty_result(detector):
    faces = detector(np.zeros((1, 1, 3), np.uint8))

    assert len(faces) == 0
    assert faces.image_size == (1, 1)


def test_zero_size_array_raises_image_error(detector):
    with pytest.raises(ImageError, match="empty"):
        detector(np.zeros((0, 0, 3), np.uint8))


@pytest.mark.parametrize("size", [(639, 479), (641, 481)])
def test_odd_sizes_find_the_face(detector, size):
    width, height = size
    faces = detector(np.ascontiguousarray(source_photo()[:height, :width]))

    assert faces.image_size == size
    assert len(faces) == 1


@pytest.mark.parametrize("side", [31, 33])
def test_small_noise_images_do_not_crash(detector, side):
    noise = np.random.default_rng(side).integers(0, 256, (side, side, 3), dtype=np.uint8)

    faces = detector(noise)

    assert faces.image_size == (side, side)
    assert faces.boxes.shape == (len(faces), 4)


def test_extra_black_row_and_column_keep_faces(detector, portrait):
    # 641x481 pads to 672x512 instead of 640x480, so the network sees more zeros past the image.
    extended = np.zeros((481, 641, 3), np.uint8)
    extended[:480, :640] = portrait

    _assert_same_faces(detector(portrait), detector(extended), pixels=0.5, score=1e-3)


def test_gray_layouts_give_identical_results(detector, portrait):
    gray = cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY)

    flat = detector(gray)
    single_channel = detector(gray[:, :, None])
    replicated = detector(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))

    assert len(flat) == 1
    assert single_channel == flat
    assert replicated == flat


@pytest.mark.parametrize("alpha", [255, 0])
def test_alpha_channel_is_dropped(detector, portrait, tmp_path, alpha):
    bgra = np.dstack([portrait, np.full(portrait.shape[:2], alpha, np.uint8)])
    path = tmp_path / f"portrait_alpha{alpha}.png"
    assert cv2.imwrite(str(path), bgra)
    expected = detector(portrait)

    by_path = detector(path)
    by_array = detector(bgra)
    by_pil = detector(Image.open(path))

    assert len(expected) == 1
    assert by_path == expected
    assert by_array == expected
    assert by_pil == expected


def test_color_orders_give_identical_results(detector, portrait, tmp_path):
    path = tmp_path / "portrait.png"
    assert cv2.imwrite(str(path), portrait)
    rgb = np.ascontiguousarray(portrait[:, :, ::-1])
    expected = detector(cv2.imread(str(path)))

    assert len(expected) == 1
    assert detector(Image.open(path)) == expected
    assert detector(Image.fromarray(rgb)) == expected
    assert detector(rgb, color="rgb") == expected
    assert detector(path) == expected


def test_swapped_channels_change_scores(detector, portrait):
    expected = detector(portrait)
    swapped = detector(np.ascontiguousarray(portrait[:, :, ::-1]), score_threshold=0.1)

    assert len(swapped) >= 1
    assert abs(float(swapped.scores[0]) - float(expected.scores[0])) > 1e-3
