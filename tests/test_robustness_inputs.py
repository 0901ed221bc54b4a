"""Odd inputs to `FaceDetector`, `yunet.preprocess`, `yunet.draw` and `yunet.align`: each gives a correct
result or a `YunetError` subclass, never a raw NumPy, torch or OpenCV exception."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import require_asset
from PIL import Image

from yunet import FaceDetector
from yunet.align import align, crop
from yunet.draw import draw_detections
from yunet.errors import ConfigError, ImageError, YunetError
from yunet.preprocess import to_bgr_array, to_bgr_images
from yunet.results import Detections


@pytest.fixture(scope="module")
def detector(official_weights) -> FaceDetector:
    return FaceDetector.from_pretrained(official_weights["yunet-n"])


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return cv2.imread(str(require_asset("images/two_people.jpg")))


def test_big_endian_uint16_scaled_like_native():
    native = (np.arange(12, dtype=np.uint16).reshape(2, 2, 3) * 5000).astype(np.uint16)

    converted = to_bgr_array(native.astype(">u2"))

    np.testing.assert_array_equal(converted, to_bgr_array(native))


def test_bfloat16_tensor_converted():
    tensor = torch.full((3, 4, 5), 100.0, dtype=torch.bfloat16)

    (array,) = to_bgr_images(tensor)

    assert array.shape == (4, 5, 3)
    assert np.all(array == 100.0)


def test_sparse_tensor_converted_to_dense():
    dense = torch.zeros((3, 4, 5))
    dense[1, 2, 3] = 200.0

    (array,) = to_bgr_images(dense.to_sparse())

    np.testing.assert_array_equal(array, to_bgr_images(dense)[0])


def test_meta_tensor_rejected():
    with pytest.raises(ImageError, match="meta"):
        to_bgr_images(torch.empty((3, 4, 5), device="meta"))


def test_pil_premultiplied_la_converted():
    image = Image.new("La", (6, 4), (120, 255))

    (array,) = to_bgr_images(image)

    assert array.shape == (4, 6, 3)
    assert np.all(array == 120)


@pytest.mark.parametrize("top_k", [2.5, float("nan"), float("inf"), "3"])
def test_non_integer_top_k_rejected(detector, photo, top_k):
    with pytest.raises(ConfigError, match="top_k"):
        detector(photo, top_k=top_k)


def test_integral_top_k_types_accepted(detector, photo):
    assert detector(photo, top_k=np.int64(1)) == detector(photo, top_k=1)
    assert detector(photo, top_k=40.0) == detector(photo, top_k=40)


def test_text_score_threshold_rejected(detector, photo):
    with pytest.raises(ConfigError, match="score_threshold"):
        detector(photo, score_threshold="high")


def test_numpy_int_input_size_accepted(detector, photo):
    assert detector(photo, input_size=np.int64(320)) == detector(photo, input_size=320)
    assert detector(photo, input_size=(np.int32(320), np.int32(240))) == detector(photo, input_size=(320, 240))


@pytest.mark.parametrize("input_size", [320.5, (320.5, 240), (True, 5)])
def test_non_integer_input_size_rejected(detector, photo, input_size):
    with pytest.raises(ImageError, match="input_size"):
        detector(photo, input_size=input_size)


def test_unknown_device_rejected(official_weights):
    with pytest.raises(ConfigError, match="device"):
        FaceDetector.from_pretrained(official_weights["yunet-n"], device="nope")


def _one_face(box, landmarks) -> Detections:
    return Detections(
        np.array([box], dtype=np.float32),
        np.array([0.9], dtype=np.float32),
        np.array([landmarks], dtype=np.float32),
        image_size=(64, 48),
    )


def test_draw_skips_non_finite_faces():
    image = np.zeros((48, 64, 3), np.uint8)
    faces = _one_face([np.nan] * 4, np.full((5, 2), np.nan))

    drawn = draw_detections(image, faces)

    np.testing.assert_array_equal(drawn, image)


def test_draw_huge_coordinates_clipped():
    image = np.zeros((48, 64, 3), np.uint8)
    faces = _one_face([-1e12, -1e12, 1e12, 1e12], np.full((5, 2), 1e12))

    drawn = draw_detections(image, faces, show_scores=False)

    assert drawn.shape == image.shape
    np.testing.assert_array_equal(drawn, image)  # every edge and point lies far outside the image


def test_crop_non_finite_box_rejected():
    image = np.zeros((48, 64, 3), np.uint8)

    with pytest.raises(YunetError, match="finite"):
        crop(image, _one_face([np.nan] * 4, np.zeros((5, 2))))


def test_crop_non_finite_margin_rejected():
    image = np.zeros((48, 64, 3), np.uint8)

    with pytest.raises(YunetError, match="margin"):
        crop(image, _one_face([1, 1, 10, 10], np.zeros((5, 2)))[0], margin=float("nan"))


def test_crop_huge_box_rejected():
    image = np.zeros((48, 64, 3), np.uint8)

    with pytest.raises(ImageError, match="too large"):
        crop(image, _one_face([-1e12, -1e12, 1e12, 1e12], np.zeros((5, 2))))


@pytest.mark.parametrize("dtype", [np.float16, np.bool_, np.int8, np.int32, np.int64])
def test_align_unsupported_dtype_rejected(dtype):
    image = np.zeros((48, 64, 3), dtype)
    landmarks = np.array([[20, 20], [40, 20], [30, 28], [22, 36], [38, 36]], np.float32)

    with pytest.raises(ImageError, match="dtype"):
        align(image, landmarks)


def test_align_non_integer_size_rejected():
    image = np.zeros((48, 64, 3), np.uint8)
    landmarks = np.array([[20, 20], [40, 20], [30, 28], [22, 36], [38, 36]], np.float32)

    with pytest.raises(YunetError, match="size"):
        align(image, landmarks, size=100.5)
