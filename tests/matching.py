"""Parity-test helpers: the reference photographs and matching of two sets of OpenCV-layout detection rows."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

# The photographs of `images/` that `reference_detections.json` covers (OpenCV's output on each).
REFERENCE_PHOTOS = [
    "portrait_astronaut.png",
    "two_people.jpg",
    "group_11_faces.jpg",
    "group_table_6_faces.jpg",
    "crowd_largest_selfie.jpg",
    "profile_audience.jpg",
    "grayscale_cameraman.png",
    "alpha_cutout_rgba.png",
    "large_portrait_1434x2333.jpg",
    "exif_orientation6.jpg",
    "dark_night_court.png",
    "noface_landscape.jpg",
    "noface_night_bus.jpg",
]


def match_rows(expected: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair rows `[x, y, w, h, 10 landmark coords, score]` of two equally long sets.

    Rows are paired by minimum total L-infinity distance over the 14 coordinates, so that two faces
    whose scores tie and come out in swapped order still pair up. Returns the paired `(expected, actual)`.
    """
    assert expected.shape == actual.shape, f"face counts differ: expected {len(expected)}, got {len(actual)}"
    if len(expected) == 0:
        return expected, actual
    cost = np.abs(expected[:, None, :14] - actual[None, :, :14]).max(axis=2)
    rows, cols = linear_sum_assignment(cost)
    return expected[rows], actual[cols]


def assert_rows_close(expected: np.ndarray, actual: np.ndarray, *, pixels: float = 0.5, score: float = 1e-3) -> None:
    """Assert the same face count, coordinates within `pixels` and scores within `score`."""
    expected, actual = match_rows(np.asarray(expected, np.float32).reshape(-1, 15), np.asarray(actual, np.float32).reshape(-1, 15))
    if len(expected) == 0:
        return
    coordinate_error = np.abs(expected[:, :14] - actual[:, :14]).max()
    score_error = np.abs(expected[:, 14] - actual[:, 14]).max()
    assert coordinate_error <= pixels, f"max box/landmark difference {coordinate_error:.4f} px > {pixels} px"
    assert score_error <= score, f"max score difference {score_error:.2e} > {score}"
