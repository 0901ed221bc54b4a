"""NMS against plain reference implementations and against OpenCV's own `cv2.dnn.NMSBoxes`."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from yunet.ops import nms as nms_module
from yunet.ops.boxes import box_iou
from yunet.ops.nms import nms, nms_opencv


def _reference_nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float, top_k: int | None) -> list[int]:
    """Plain greedy NMS, one box at a time."""
    order = torch.sort(scores, descending=True, stable=True).indices.tolist()
    if top_k is not None:
        order = order[:top_k]
    kept: list[int] = []
    for index in order:
        if all(box_iou(boxes[index : index + 1], boxes[k : k + 1]).item() <= threshold for k in kept):
            kept.append(index)
    return kept


def _random_boxes(count: int, seed: int, *, spread: float = 200.0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    top_left = torch.rand(count, 2, generator=generator) * spread
    size = 5 + torch.rand(count, 2, generator=generator) * 60
    scores = torch.rand(count, generator=generator)
    return torch.cat([top_left, top_left + size], dim=1), scores


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7])
def test_nms_matches_greedy_reference(seed, threshold):
    boxes, scores = _random_boxes(300, seed)

    kept = nms(boxes, scores, threshold)

    assert kept.tolist() == _reference_nms(boxes, scores, threshold, None)


def test_nms_top_k_applies_before_suppression():
    boxes, scores = _random_boxes(200, 7)

    kept = nms(boxes, scores, 0.3, top_k=50)

    assert kept.tolist() == _reference_nms(boxes, scores, 0.3, 50)


def test_nms_blocks_give_same_result(monkeypatch):
    boxes, scores = _random_boxes(500, 3, spread=300)
    expected = nms(boxes, scores, 0.4).tolist()

    monkeypatch.setattr(nms_module, "_BLOCK_SIZE", 37)

    assert nms(boxes, scores, 0.4).tolist() == expected


def test_nms_chain_needs_many_rounds():
    # Each box overlaps only its neighbours, so the greedy result alternates keep/remove down the chain.
    boxes = torch.tensor([[i * 4.0, 0.0, i * 4.0 + 10.0, 10.0] for i in range(40)])  # neighbour IoU 0.43
    scores = torch.linspace(1.0, 0.5, 40)

    kept = nms(boxes, scores, 0.3)

    assert kept.tolist() == list(range(0, 40, 2))


def test_nms_empty_input():
    kept = nms(torch.zeros(0, 4), torch.zeros(0), 0.3)

    assert kept.shape == (0,)
    assert kept.dtype == torch.int64


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("threshold", [0.3, 0.45])
def test_nms_opencv_matches_cv2_nmsboxes(seed, threshold):
    boxes, scores = _random_boxes(400, seed, spread=150)
    boxes_xywh = torch.cat([boxes[:, :2] - 0.5, boxes[:, 2:] - boxes[:, :2]], dim=1)  # some negative x/y
    rects = [[int(v) for v in row] for row in boxes_xywh.tolist()]

    expected = cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.0, threshold, eta=1.0, top_k=5000)

    kept = nms_opencv(boxes_xywh, scores, threshold, top_k=5000)
    assert kept.tolist() == np.asarray(expected).reshape(-1).tolist()


def test_nms_opencv_top_k_matches_cv2():
    boxes, scores = _random_boxes(300, 11, spread=150)
    boxes_xywh = torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], dim=1)
    rects = [[int(v) for v in row] for row in boxes_xywh.tolist()]

    expected = cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.0, 0.3, eta=1.0, top_k=40)

    assert nms_opencv(boxes_xywh, scores, 0.3, top_k=40).tolist() == np.asarray(expected).reshape(-1).tolist()


@pytest.mark.parametrize("seed", range(4))
def test_nms_mixed_box_sizes_match_reference(seed):
    # Tiny and huge boxes together: huge ones span many of the sweep's horizontal strips.
    generator = torch.Generator().manual_seed(seed)
    top_left = torch.rand(250, 2, generator=generator) * 400
    size = torch.where(torch.rand(250, 1, generator=generator) < 0.2, 150.0, 4.0) * (
        0.5 + torch.rand(250, 2, generator=generator)
    )
    boxes = torch.cat([top_left, top_left + size], dim=1)
    scores = torch.rand(250, generator=generator)

    assert nms(boxes, scores, 0.3).tolist() == _reference_nms(boxes, scores, 0.3, None)
