"""One FaceDetector shared by several threads: each call gets its own image's result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import pytest
from conftest import require_asset

from yunet.detector import FaceDetector
from yunet.weights.official import load_official_checkpoint

PHOTOS = [
    "portrait_astronaut.png",
    "two_people.jpg",
    "group_11_faces.jpg",
    "grayscale_cameraman.png",
    "exif_orientation6.jpg",
    "noface_night_bus.jpg",
    "alpha_cutout_rgba.png",
    "dark_night_court.png",
]


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_eight_threads_get_own_results(backend):
    if backend == "onnxruntime":
        pytest.importorskip("onnxruntime")
    model = load_official_checkpoint(require_asset("libfacedetection/weights/yunet_n.pth"))
    detector = FaceDetector(model, backend=backend, large_face_pass=False)
    images = [cv2.imread(str(require_asset(f"images/{name}"))) for name in PHOTOS]
    expected = [detector(image) for image in images]

    with ThreadPoolExecutor(max_workers=8) as pool:
        # Each image three times, interleaved, so calls on different images overlap.
        futures = [(index, pool.submit(detector, images[index])) for _ in range(3) for index in range(len(images))]
        results = [(index, future.result()) for index, future in futures]

    for index, result in results:
        assert result == expected[index], f"thread result for {PHOTOS[index]} differs from the sequential one"
