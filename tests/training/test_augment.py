"""Tests of the training augmentation."""

from __future__ import annotations

import numpy as np

from yunet.training.augment import CROP_PAD_VALUE, augment, random_square_crop


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


def test_crop_pads_with_128() -> None:
    # libfacedetection.train's RandomSquareCrop fills the part of the square past the image with 128.
    image = np.full((100, 100, 3), 7, dtype=np.uint8)
    boxes = np.array([[40.0, 40.0, 60.0, 60.0]], dtype=np.float32)
    canvas, crop, _ = random_square_crop(image, boxes, (1.5,), np.random.default_rng(3))
    left, top = int(crop[0]), int(crop[1])
    assert canvas.shape == (150, 150, 3)
    from_image = np.zeros(canvas.shape[:2], dtype=bool)
    from_image[-top : -top + 100, -left : -left + 100] = True
    assert (canvas[from_image] == 7).all()
    assert (canvas[~from_image] == CROP_PAD_VALUE).all()
    assert CROP_PAD_VALUE == 128


def test_crop_scale_grows_below_one() -> None:
    # A face centre in the last pixel is out of reach of a 0.1 crop. The original keeps one scale for 250
    # positions and then grows it by 1.2, so the crop side is 0.1 * 1.2**k of the short side for some k.
    image = np.zeros((1000, 1000, 3), dtype=np.uint8)
    boxes = np.array([[999.0, 999.0, 1000.0, 1000.0]], dtype=np.float32)
    for seed in range(3):
        _, crop, inside = random_square_crop(image, boxes, (0.1,), np.random.default_rng(seed))
        side = int(crop[2] - crop[0])
        assert inside.all()
        assert any(side == int(0.1 * 1.2**k * 1000) for k in range(1, 20)), side


def test_crop_clips_landmarks() -> None:
    image = np.zeros((100, 300, 3), dtype=np.uint8)
    boxes = np.array([[130.0, 30.0, 170.0, 70.0]], dtype=np.float32)
    # One landmark lies far left of the face, outside any 100 px crop that contains the face centre.
    landmarks = np.array([[[0, 40], [160, 40], [150, 50], [140, 60], [160, 60]]], dtype=np.float32)
    for seed in range(5):
        sample = augment(
            image, boxes, landmarks, np.ones(1, dtype=np.float32), input_size=100, crop_scales=(1.0,),
            flip_probability=0.0, rng=np.random.default_rng(seed),
        )
        assert sample.landmarks.min() >= 0
        assert sample.landmarks.max() <= 100
        assert sample.landmarks[0, 0, 0] == 0  # clipped to the crop's left edge
