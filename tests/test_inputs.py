"""Every input kind gives the same detections, and every bad input raises a typed error."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import require_asset
from PIL import Image

from yunet.detector import FaceDetector
from yunet.errors import ImageError, ImageReadError, YunetError
from yunet.weights.official import load_official_checkpoint

PHOTO = "images/two_people.jpg"


@pytest.fixture(scope="module")
def detector(official_weights) -> FaceDetector:
    return FaceDetector(load_official_checkpoint(official_weights["yunet-n"]))


@pytest.fixture(scope="module")
def photo_bgr() -> np.ndarray:
    return cv2.imread(str(require_asset(PHOTO)), cv2.IMREAD_COLOR)


def _assert_same(expected, actual, *, pixels: float = 1e-3, score: float = 1e-5):
    assert len(actual) == len(expected)
    np.testing.assert_allclose(actual.boxes, expected.boxes, atol=pixels)
    np.testing.assert_allclose(actual.landmarks, expected.landmarks, atol=pixels)
    np.testing.assert_allclose(actual.scores, expected.scores, atol=score)


def test_photo_has_faces(detector, photo_bgr):
    assert len(detector(photo_bgr)) == 2


def test_rgb_array_with_switch(detector, photo_bgr):
    rgb = np.ascontiguousarray(photo_bgr[:, :, ::-1])

    _assert_same(detector(photo_bgr), detector(rgb, color="rgb"))


def test_swapped_channels_change_scores(detector, photo_bgr):
    rgb = np.ascontiguousarray(photo_bgr[:, :, ::-1])

    expected = detector(photo_bgr, score_threshold=0.3)
    swapped = detector(rgb, score_threshold=0.3)  # RGB data read as BGR

    assert len(swapped) != len(expected) or np.abs(swapped.scores - expected.scores).max() > 1e-3


def test_path_and_pil_inputs(detector, photo_bgr):
    expected = detector(photo_bgr)
    path = require_asset(PHOTO)

    _assert_same(expected, detector(path))
    _assert_same(expected, detector(str(path)))
    with Image.open(path) as pil_image:
        _assert_same(expected, detector(pil_image))


def test_tensor_inputs(detector, photo_bgr):
    expected = detector(photo_bgr)
    chw = torch.from_numpy(photo_bgr).permute(2, 0, 1)

    _assert_same(expected, detector(chw))
    _assert_same(expected, detector(chw.float()))
    _assert_same(expected, detector(chw.flip(0), color="rgb"))
    batch_results = detector(chw[None].repeat(2, 1, 1, 1))
    assert isinstance(batch_results, list)
    assert len(batch_results) == 2
    _assert_same(expected, batch_results[1])


def test_grayscale_and_alpha_inputs(detector, photo_bgr):
    gray = cv2.cvtColor(photo_bgr, cv2.COLOR_BGR2GRAY)
    expected_gray = detector(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    assert len(expected_gray) >= 1

    _assert_same(expected_gray, detector(gray))
    _assert_same(expected_gray, detector(gray[:, :, None]))
    bgra = cv2.cvtColor(photo_bgr, cv2.COLOR_BGR2BGRA)
    bgra[:, :, 3] = 0  # alpha is dropped, not composited
    _assert_same(detector(photo_bgr), detector(bgra))


def test_uint16_is_scaled_not_truncated(detector, photo_bgr):
    sixteen_bit = photo_bgr.astype(np.uint16) * 257  # 255 -> 65535

    _assert_same(detector(photo_bgr), detector(sixteen_bit), pixels=1e-2, score=1e-4)


def test_uint16_png_file_is_scaled(detector, photo_bgr, tmp_path):
    path = tmp_path / "sixteen.png"
    cv2.imwrite(str(path), photo_bgr.astype(np.uint16) * 257)

    _assert_same(detector(photo_bgr), detector(path), pixels=1e-2, score=1e-4)


def test_list_of_mixed_sizes_equals_single_calls(detector, photo_bgr):
    small = cv2.resize(photo_bgr, None, fx=0.5, fy=0.5)
    images = [photo_bgr, small, photo_bgr[:, :-5]]

    results = detector(images)

    assert len(results) == 3
    for image, result in zip(images, results):
        _assert_same(detector(image), result, pixels=0, score=0)


def test_exif_orientation_applied(detector):
    path = require_asset("images/exif_orientation6.jpg")
    upright = cv2.imread(str(path), cv2.IMREAD_COLOR)  # OpenCV applies EXIF orientation

    faces_from_path = detector(path)
    with Image.open(path) as pil_image:
        faces_from_pil = detector(pil_image)

    assert faces_from_path.image_size == (upright.shape[1], upright.shape[0])
    _assert_same(detector(upright), faces_from_path)
    _assert_same(detector(upright), faces_from_pil)


def test_input_size_maps_back_to_original(detector, photo_bgr):
    native = detector(photo_bgr)

    resized = detector(photo_bgr, input_size=(640, 640))

    assert len(resized) == len(native)
    order = np.argsort(resized.boxes[:, 0])
    native_order = np.argsort(native.boxes[:, 0])
    # A 1126x661 photo shrunk to 640 wide: boxes agree within a few original pixels.
    np.testing.assert_allclose(resized.boxes[order], native.boxes[native_order], atol=8)


@pytest.mark.parametrize("size", [(1, 1), (31, 31), (33, 33), (1, 500), (500, 1)])
def test_tiny_and_thin_images(detector, size):
    image = np.random.default_rng(0).integers(0, 256, (*size, 3), dtype=np.uint8)

    faces = detector(image)

    assert faces.image_size == (size[1], size[0])
    assert faces.boxes.shape[1:] == (4,)


BAD_ARRAYS = {
    "empty": np.zeros((0, 0, 3), np.uint8),
    "zero-width": np.zeros((10, 0, 3), np.uint8),
    "1-d": np.zeros(10, np.uint8),
    "4-d": np.zeros((1, 2, 10, 10, 3), np.uint8),
    "two channels": np.zeros((10, 10, 2), np.uint8),
    "five channels": np.zeros((10, 10, 5), np.uint8),
    "channels first": np.zeros((3, 10, 10), np.uint8),
    "float64 above 255": np.full((10, 10, 3), 300.0),
    "negative float": np.full((10, 10, 3), -1.0, np.float32),
    "complex": np.zeros((10, 10, 3), np.complex64),
    "bool": np.zeros((10, 10, 3), bool),
    "nan": np.full((10, 10, 3), np.nan, np.float32),
    "inf": np.full((10, 10, 3), np.inf, np.float32),
    "int32 above 255": np.full((10, 10, 3), 1000, np.int32),
    "object": np.empty((10, 10, 3), object),
}


@pytest.mark.parametrize("name", list(BAD_ARRAYS))
def test_bad_arrays_raise_image_error(detector, name):
    with pytest.raises(ImageError):
        detector(BAD_ARRAYS[name])


def test_bad_tensor_layout_names_permute(detector):
    with pytest.raises(ImageError, match="permute"):
        detector(torch.zeros(20, 20, 3))


def test_unsupported_type(detector):
    with pytest.raises(ImageError, match="unsupported image type"):
        detector(12345)


def test_bad_color_switch(detector, photo_bgr):
    with pytest.raises(ImageError, match="color"):
        detector(photo_bgr, color="hsv")


def test_missing_file(detector, tmp_path):
    with pytest.raises(ImageReadError, match="not found"):
        detector(tmp_path / "missing.jpg")


def test_directory_is_not_an_image(detector, tmp_path):
    with pytest.raises(ImageReadError):
        detector(tmp_path)


def test_non_image_file(detector, tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not an image")

    with pytest.raises(ImageReadError, match="not a readable image"):
        detector(path)


def test_empty_and_truncated_files(detector, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(require_asset(PHOTO).read_bytes()[:200])

    with pytest.raises(ImageReadError):
        detector(empty)
    with pytest.raises(ImageReadError):
        detector(truncated)


def test_bad_thresholds(detector, photo_bgr):
    with pytest.raises(YunetError):
        detector(photo_bgr, score_threshold=1.5)
    with pytest.raises(YunetError):
        detector(photo_bgr, nms_threshold=-0.1)
    with pytest.raises(YunetError):
        detector(photo_bgr, top_k=0)
    with pytest.raises(YunetError):
        detector(photo_bgr, input_size=(0, 10))


def test_max_pixels_gives_typed_error(official_weights, photo_bgr):
    small_limit = FaceDetector(load_official_checkpoint(official_weights["yunet-n"]), max_pixels=100 * 100)

    with pytest.raises(ImageError, match="max_pixels"):
        small_limit(photo_bgr)


@pytest.mark.slow
def test_10000_pixel_square_image(detector):
    image = np.zeros((10000, 10000, 3), np.uint8)

    faces = detector(image)

    assert len(faces) == 0
    assert faces.image_size == (10000, 10000)
