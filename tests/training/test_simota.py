"""Tests of the SimOTA assigner: hand-made cases and a plain-loop reference."""

from __future__ import annotations

import math

import torch

from yunet.ops.boxes import box_iou
from yunet.ops.priors import make_priors
from yunet.training.assigners import SimOTAAssigner


def _reference_assign(scores, priors, decoded, gt_boxes, radius=2.5, topk=10):
    """Slow per-pair loops of the SimOTA rules, for comparison."""
    num_priors, num_faces = priors.shape[0], gt_boxes.shape[0]
    candidates, inside_both = [], {}
    for p in range(num_priors):
        c, r, s = priors[p].tolist()
        x, y = (c + 0.5) * s, (r + 0.5) * s
        is_candidate = False
        for g in range(num_faces):
            x1, y1, x2, y2 = gt_boxes[g].tolist()
            in_box = x1 < x < x2 and y1 < y < y2
            in_center = abs(x - (x1 + x2) / 2) < radius * s and abs(y - (y1 + y2) / 2) < radius * s
            inside_both[p, g] = in_box and in_center
            is_candidate |= in_box or in_center
        if is_candidate:
            candidates.append(p)
    ious = box_iou(decoded[candidates], gt_boxes)
    cost = {}
    for i, p in enumerate(candidates):
        for g in range(num_faces):
            cls_cost = min(-math.log(math.sqrt(scores[p].item())), 100.0)
            cost[p, g] = cls_cost + 3 * -math.log(ious[i, g].item() + 1e-7) + (0 if inside_both[p, g] else 1e8)
    taken: dict[int, list[int]] = {}
    for g in range(num_faces):
        k = max(int(sum(sorted(ious[:, g].tolist(), reverse=True)[: min(topk, len(candidates))])), 1)
        for p in sorted(candidates, key=lambda p: cost[p, g])[:k]:
            taken.setdefault(p, []).append(g)
    result = {}
    for p, faces in taken.items():
        result[p] = faces[0] if len(faces) == 1 else min(range(num_faces), key=lambda g: cost[p, g])
    return result


def test_simota_single_face_positives_inside() -> None:
    priors = make_priors(64, 64, (8, 16, 32))
    gt = torch.tensor([[16.0, 16.0, 48.0, 48.0]])
    # Predictions equal to each prior's cell box, scores all 0.5.
    centers = (priors[:, :2] + 0.5) * priors[:, 2:]
    decoded = torch.cat([centers - priors[:, 2:] * 2, centers + priors[:, 2:] * 2], dim=1)
    result = SimOTAAssigner().assign(torch.full((priors.shape[0],), 0.5), priors, decoded, gt)
    assert result.positive.any()
    positive_centers = centers[result.positive]
    assert ((positive_centers > 16) & (positive_centers < 48)).all()
    assert (result.face_index[result.positive] == 0).all()
    assert (result.face_index[~result.positive] == -1).all()
    assert (result.iou[result.positive] > 0).all()


def test_simota_no_faces_all_negative() -> None:
    priors = make_priors(64, 64, (8, 16, 32))
    result = SimOTAAssigner().assign(torch.rand(priors.shape[0]), priors, torch.rand(priors.shape[0], 4), torch.zeros(0, 4))
    assert not result.positive.any()


def test_simota_dynamic_k_from_ious() -> None:
    priors = make_priors(32, 32, (8, 16, 32))
    gt = torch.tensor([[0.0, 0.0, 32.0, 32.0]])
    decoded = gt.expand(priors.shape[0], 4).clone()  # every prediction is perfect: IoU 1
    result = SimOTAAssigner().assign(torch.full((priors.shape[0],), 0.9), priors, decoded, gt)
    # The top-10 IoUs sum to 10, so k = 10 of the priors inside the face and its centre region.
    assert int(result.positive.sum()) == 10


def test_simota_shared_prior_goes_to_cheaper_face() -> None:
    priors = torch.tensor([[1.0, 1.0, 8.0]])  # one prior, cell centre (12, 12)
    gt = torch.tensor([[4.0, 4.0, 20.0, 20.0], [0.0, 0.0, 24.0, 24.0]])
    decoded = torch.tensor([[4.0, 4.0, 20.0, 20.0]])  # IoU 1 with face 0, 256/576 with face 1
    result = SimOTAAssigner().assign(torch.tensor([0.5]), priors, decoded, gt)
    assert result.positive.tolist() == [True]
    assert result.face_index.tolist() == [0]


def test_simota_matches_loop_reference() -> None:
    generator = torch.Generator().manual_seed(0)
    priors = make_priors(96, 96, (8, 16, 32))
    for trial in range(3):
        num_faces = 6
        corner = torch.rand(num_faces, 2, generator=generator) * 70
        size = torch.rand(num_faces, 2, generator=generator) * 40 + 6
        gt = torch.cat([corner, corner + size], dim=1)
        centers = (priors[:, :2] + 0.5) * priors[:, 2:]
        half = priors[:, 2:] * (0.5 + torch.rand(priors.shape[0], 2, generator=generator) * 2)
        decoded = torch.cat([centers - half, centers + half], dim=1)
        scores = torch.rand(priors.shape[0], generator=generator)
        result = SimOTAAssigner().assign(scores, priors, decoded, gt)
        expected = _reference_assign(scores, priors, decoded, gt)
        got = {p: int(result.face_index[p]) for p in torch.nonzero(result.positive).squeeze(1).tolist()}
        assert got == expected, f"trial {trial}"
