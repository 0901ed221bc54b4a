"""Box and keypoint decoding: the official formulas, their inverse, and empty inputs."""

from __future__ import annotations

import torch

from yunet.ops.decode import decode_boxes, decode_boxes_xywh, decode_keypoints, encode_keypoints, face_scores
from yunet.ops.priors import make_priors


def test_priors_layout():
    priors = make_priors(64, 96, (8, 16, 32))

    assert priors.shape == (8 * 12 + 4 * 6 + 2 * 3, 3)
    assert priors[1].tolist() == [1.0, 0.0, 8.0]  # second cell of the first row, stride 8
    assert priors[12].tolist() == [0.0, 1.0, 8.0]  # first cell of the second row
    assert priors[-1].tolist() == [2.0, 1.0, 32.0]


def test_box_decode_matches_formula():
    priors = torch.tensor([[3.0, 2.0, 16.0]])
    deltas = torch.tensor([[0.5, 0.25, 0.0, torch.log(torch.tensor(2.0))]])

    boxes_xywh = decode_boxes_xywh(deltas, priors)

    # cx = (3 + 0.5) * 16 = 56, cy = (2 + 0.25) * 16 = 36, w = 16, h = 32
    assert torch.allclose(boxes_xywh, torch.tensor([[48.0, 20.0, 16.0, 32.0]]))
    assert torch.allclose(decode_boxes(deltas, priors), torch.tensor([[48.0, 20.0, 64.0, 52.0]]))


def test_keypoints_round_trip():
    priors = make_priors(64, 64, (8, 16, 32))
    offsets = torch.randn(2, priors.shape[0], 10)

    points = decode_keypoints(offsets, priors)

    assert points.shape == (2, priors.shape[0], 5, 2)
    assert torch.allclose(encode_keypoints(points, priors), offsets, atol=1e-5)


def test_empty_inputs_keep_shapes():
    priors = torch.zeros(0, 3)

    assert decode_boxes_xywh(torch.zeros(0, 4), priors).shape == (0, 4)
    assert decode_keypoints(torch.zeros(0, 10), priors).shape == (0, 5, 2)
    assert encode_keypoints(torch.zeros(0, 5, 2), priors).shape == (0, 10)


def test_scores_are_clamped_geometric_mean():
    cls = torch.tensor([[[0.81], [1.2], [-0.1]]])
    obj = torch.tensor([[[0.25], [0.64], [0.5]]])

    scores = face_scores(cls, obj)

    assert torch.allclose(scores, torch.tensor([[0.45, 0.8, 0.0]]))
