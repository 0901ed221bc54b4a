"""Tests of the head options: DFL and SimCC conversion to the official layout, and the output types."""

from __future__ import annotations

import math

import pytest
import torch
from model_helpers import one_torch_thread  # noqa: F401 (autouse fixture)

from yunet.config import ModelConfig
from yunet.models import YuNet
from yunet.models.head import DistributionDecoder, DistributionHeadOutputs, HeadOutputs, distances_to_deltas
from yunet.ops.decode import decode_boxes, decode_keypoints
from yunet.ops.priors import make_priors


def test_distances_to_deltas_known_box() -> None:
    # (l, t, r, b) = (1, 2, 3, 4) stride units from the cell centre.
    deltas = distances_to_deltas(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))

    torch.testing.assert_close(deltas, torch.tensor([[1.5, 1.5, math.log(4.0), math.log(6.0)]]))


def test_distances_to_deltas_decode_around_centre() -> None:
    # Cell column 2, row 3 at stride 8: the centre is (20, 28) pixels.
    priors = torch.tensor([[2.0, 3.0, 8.0]])
    deltas = distances_to_deltas(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))

    boxes = decode_boxes(deltas, priors)

    torch.testing.assert_close(boxes, torch.tensor([[20.0 - 8, 28.0 - 16, 20.0 + 24, 28.0 + 32]]))


def test_distribution_decoder_peaked_logits_give_bin_position() -> None:
    decoder = DistributionDecoder(torch.tensor([0.0, 1.0, 2.0, 3.0]))
    logits = torch.full((1, 1, 8), -100.0)
    logits[0, 0, 2] = 100.0  # feature 0 -> bin 2
    logits[0, 0, 4 + 3] = 100.0  # feature 1 -> bin 3

    expectation, reshaped = decoder(logits)

    torch.testing.assert_close(expectation, torch.tensor([[[2.0, 3.0]]]))
    assert reshaped.shape == (1, 1, 2, 4)


def test_distribution_decoder_uniform_logits_give_mean() -> None:
    decoder = DistributionDecoder(torch.arange(5.0))

    expectation, _ = decoder(torch.zeros(2, 3, 5))

    torch.testing.assert_close(expectation, torch.full((2, 3, 1), 2.0))


@pytest.mark.parametrize(("box_branch", "keypoint_branch"), [("direct", "direct"), ("dfl", "direct"), ("direct", "simcc")])
def test_forward_type_follows_branches(box_branch: str, keypoint_branch: str) -> None:
    model = YuNet(ModelConfig(box_branch=box_branch, keypoint_branch=keypoint_branch)).eval()

    with torch.no_grad():
        outputs = model(torch.zeros(1, 3, 64, 64))

    is_direct = box_branch == "direct" and keypoint_branch == "direct"
    assert isinstance(outputs, HeadOutputs) == is_direct
    assert isinstance(outputs, DistributionHeadOutputs) == (not is_direct)


def test_forward_dfl_simcc_fields_have_documented_shapes() -> None:
    config = ModelConfig(box_branch="dfl", keypoint_branch="simcc", dfl_reg_max=7, simcc_split_ratio=1.5, simcc_max_offset=2.0)
    model = YuNet(config).eval()

    with torch.no_grad():
        outputs = model(torch.zeros(2, 3, 64, 64))

    assert isinstance(outputs, DistributionHeadOutputs)
    assert [tuple(t.shape) for t in outputs.bbox] == [(2, 64, 4), (2, 16, 4), (2, 4, 4)]
    assert [tuple(t.shape) for t in outputs.kps] == [(2, 64, 10), (2, 16, 10), (2, 4, 10)]
    assert [tuple(t.shape) for t in outputs.bbox_logits] == [(2, 64, 4, 8), (2, 16, 4, 8), (2, 4, 4, 8)]
    assert [tuple(t.shape) for t in outputs.kps_logits] == [(2, 64, 10, 7), (2, 16, 10, 7), (2, 4, 10, 7)]


def test_distribution_outputs_concat_keeps_none() -> None:
    model = YuNet(ModelConfig(box_branch="dfl")).eval()

    with torch.no_grad():
        outputs = model(torch.zeros(1, 3, 64, 64)).concat()

    assert outputs.kps_logits is None
    assert outputs.bbox_logits[0].shape == (1, 84, 4, 17)
    assert outputs.cls[0].shape == (1, 84, 1)


def test_predict_dfl_boxes_from_expected_distances() -> None:
    torch.manual_seed(0)
    model = YuNet(ModelConfig(box_branch="dfl")).eval()
    images = torch.rand(1, 3, 64, 64) * 255

    with torch.no_grad():
        raw = model(images).concat()
        predicted = model.predict(images).concat()

    priors = make_priors(64, 64, (8, 16, 32))
    distances = torch.softmax(raw.bbox_logits[0], dim=-1) @ torch.arange(17.0)  # (1, P, 4) l, t, r, b
    centres = (priors[:, :2] + 0.5) * priors[:, 2:]  # (P, 2) pixels
    stride = priors[:, 2:]
    expected = torch.cat([centres - distances[..., :2] * stride, centres + distances[..., 2:] * stride], dim=-1)
    torch.testing.assert_close(decode_boxes(predicted.bbox[0], priors), expected, rtol=1e-5, atol=1e-3)


def test_predict_simcc_landmarks_from_expectation() -> None:
    torch.manual_seed(0)
    config = ModelConfig(keypoint_branch="simcc", simcc_split_ratio=2.0, simcc_max_offset=3.0)
    model = YuNet(config).eval()
    images = torch.rand(1, 3, 64, 64) * 255

    with torch.no_grad():
        raw = model(images).concat()
        predicted = model.predict(images).concat()

    priors = make_priors(64, 64, (8, 16, 32))
    positions = 0.5 - 3.0 + torch.arange(13.0) / 2.0  # offsets from the cell corner, stride units
    offsets = torch.softmax(raw.kps_logits[0], dim=-1) @ positions  # (1, P, 10)
    expected = (offsets.reshape(1, -1, 5, 2) + priors[:, None, :2]) * priors[:, None, 2:]
    torch.testing.assert_close(decode_keypoints(predicted.kps[0], priors), expected, rtol=1e-5, atol=1e-3)
