"""Tiled detection: tile layout, coordinates in image pixels, duplicates merged across tiles."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "real_world"))
from real_world_photos import CANVAS_GRAY, box_iou, detector, paste_face  # noqa: E402, F401 (fixtures)

from yunet.errors import ConfigError  # noqa: E402
from yunet.results import Detections  # noqa: E402
from yunet.tiling import detect_tiled, merge_detections, tile_origins  # noqa: E402


@pytest.mark.parametrize(
    ("length", "expected"),
    [(500, [0]), (640, [0]), (641, [0, 1]), (1200, [0, 512, 560]), (1664, [0, 512, 1024])],
)
def test_tile_origins_cover_length(length, expected):
    assert tile_origins(length, 640, 128) == expected


@pytest.mark.parametrize(
    "options",
    [{"tile_size": 16}, {"overlap": 640}, {"overlap": -1}, {"upscale": 0.5}, {"batch_size": 0}],
)
def test_detect_tiled_rejects_bad_options(detector, options):
    with pytest.raises(ConfigError):
        detect_tiled(detector, np.zeros((64, 64, 3), np.uint8), **options)


def test_merge_detections_removes_duplicates():
    landmarks = np.zeros((1, 5, 2))
    first = Detections(np.array([[10, 10, 30, 30]]), np.array([0.9]), landmarks, image_size=(100, 100))
    second = Detections(np.array([[11, 10, 31, 30], [60, 60, 80, 80]]), np.array([0.8, 0.7]), np.zeros((2, 5, 2)), image_size=(100, 100))

    merged = merge_detections([first, second], nms_threshold=0.3, top_k=None, image_size=(100, 100))

    np.testing.assert_array_equal(merged.scores, np.array([0.9, 0.7], np.float32))
    np.testing.assert_array_equal(merged.boxes[0], [10, 10, 30, 30])


@pytest.fixture(scope="module")
def canvas_and_faces():
    # 1200x900 canvas, tiles at x = 0, 512, 560 and y = 0, 260. The 8 px face straddles x = 640, the right
    # edge of the first tiles, and lies whole in two others; the 143 px face is wider than the overlap.
    canvas = np.full((900, 1200, 3), CANVAS_GRAY, np.uint8)
    tiny = paste_face(canvas, 8, 620, 200)
    large = paste_face(canvas, 143, 560, 420)
    return canvas, tiny, large


def test_tiny_face_needs_tiled_mode(detector, canvas_and_faces):
    canvas, tiny, _ = canvas_and_faces

    faces = detector(canvas)

    assert box_iou(tiny, faces.boxes).max(initial=0.0) < 0.3


def test_tiled_mode_finds_tiny_face_once(detector, canvas_and_faces):
    canvas, tiny, large = canvas_and_faces

    faces = detect_tiled(detector, canvas)

    assert faces.image_size == (1200, 900)
    assert int((box_iou(tiny, faces.boxes) > 0.1).sum()) == 1
    assert box_iou(tiny, faces.boxes).max() >= 0.5
    assert np.abs(faces.boxes[box_iou(tiny, faces.boxes).argmax()] - tiny).max() < 2.0
    assert int((box_iou(large, faces.boxes) > 0.1).sum()) == 1
    assert box_iou(large, faces.boxes).max() >= 0.8
    assert len(faces) == 2


def test_tiled_mode_without_upscale_matches_tile_layout(detector, canvas_and_faces):
    canvas, _, large = canvas_and_faces

    faces = detect_tiled(detector, canvas, upscale=1.0, full_image_pass=False, tile_size=800, overlap=200)

    assert box_iou(large, faces.boxes).max() >= 0.8
    assert np.all(faces.scores[:-1] >= faces.scores[1:])


def test_tiled_mode_accepts_rgb_and_top_k(detector, canvas_and_faces):
    canvas, _, _ = canvas_and_faces

    options = {"upscale": 1.0, "tile_size": 800, "overlap": 200, "top_k": 1}
    bgr = detect_tiled(detector, canvas, **options)
    rgb = detect_tiled(detector, np.ascontiguousarray(canvas[:, :, ::-1]), color="rgb", **options)

    assert len(bgr) == 1
    assert rgb == bgr
