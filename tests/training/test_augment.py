"""Tests of the training augmentation."""

from __future__ import annotations

import numpy as np

from yunet.training.augment import augment, random_square_crop


def _face_image():
    image = np.zeros((200, 300, 3), dtype=np.uint8)
    boxes = np.array([[100.0, 50.0, 140.0, 100.0]], dtype=np.float32)
    landmarks = np.array([[[110, 70], [130, 70], [120, 80], [112, 90], [128, 90]]], dtype=np.float32)
    return image, boxes, landmarks, np.ones(1, dtype=np.float32)


def test_flip_swaps_left_right_landmarks() -> None:
    image, boxes, landmarks, weights = _face_image()
    sample = augment(
        image, boxes, landmarks, weights, input_size=200, crop_scales=(1.0,), flip_probability=1.0,
        rng=np.random.default_rng(0),
    )
    right_eye, left_eye = sample.landmarks[0, 0], sample.landmarks[0, 1]
    # After the flip the subject's right eye is still on the image's left side.
    assert right_eye[0] < left_eye[0]
    assert sample.boxes[0, 0] < sample.boxes[0, 2]


def test_augment_output_size_and_scale() -> None:
    image, boxes, landmarks, weights = _face_image()
    sample = augment(
        image, boxes, landmarks, weights, input_size=64, crop_scales=(1.0,), flip_probability=0.0,
        rng=np.random.default_rng(1),
    )
    assert sample.image.shape == (64, 64, 3)
    width = sample.boxes[0, 2] - sample.boxes[0, 0]
    # A 200 px square crop resized to 64 px scales the 40 px face by 0.32.
    assert abs(width - 40 * 64 / 200) < 1e-3


def test_crop_keeps_faces_with_centre_inside() -> None:
    image = np.zeros((100, 400, 3), dtype=np.uint8)
    boxes = np.array([[10.0, 10.0, 30.0, 30.0], [350.0, 10.0, 370.0, 30.0]], dtype=np.float32)
    for seed in range(20):
        _, crop, inside = random_square_crop(image, boxes, (1.0,), np.random.default_rng(seed))
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        expected = (centres[:, 0] > crop[0]) & (centres[:, 0] < crop[2])
        assert inside.tolist() == expected.tolist()
        assert inside.any()
