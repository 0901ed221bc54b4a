"""Tests of the elementary losses on hand-computed cases."""

from __future__ import annotations

import pytest
import torch

from yunet.training.losses import eiou_loss, extended_iou, smooth_l1


def test_extended_iou_equals_iou_when_overlapping() -> None:
    predicted = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    target = torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    # Intersection 1, union 4 + 4 - 1 = 7.
    assert extended_iou(predicted, target).item() == pytest.approx(1 / 7)


def test_extended_iou_negative_when_disjoint() -> None:
    predicted = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    target = torch.tensor([[2.0, 0.0, 3.0, 1.0]])
    # e = (0, 0), i1 = (2, 0), i2 = (1, 1), lo = (1, 0), hi = (2, 1): I = 1 + 0 - 2 - 0 = -1, U = 1 + 1 + 1.
    assert extended_iou(predicted, target).item() == pytest.approx(-1 / 3)


def test_eiou_loss_branches() -> None:
    same = torch.tensor([[10.0, 10.0, 20.0, 20.0]])
    assert eiou_loss(same, same).item() == pytest.approx(0.0, abs=1e-6)
    near = torch.tensor([[10.0, 10.0, 20.0, 20.5]])
    distance = 1 - 100 / 105
    assert eiou_loss(near, same).item() == pytest.approx(0.5 * distance**2 / 0.1, rel=1e-4)
    far = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    assert eiou_loss(far, torch.tensor([[1.0, 1.0, 3.0, 3.0]])).item() == pytest.approx(6 / 7 - 0.05, rel=1e-5)


def test_eiou_loss_gradient_when_disjoint() -> None:
    predicted = torch.tensor([[0.0, 0.0, 1.0, 1.0]], requires_grad=True)
    eiou_loss(predicted, torch.tensor([[2.0, 0.0, 3.0, 1.0]])).sum().backward()
    assert predicted.grad is not None
    # Moving the right edge toward the target lowers the loss.
    assert predicted.grad[0, 2].item() < 0


def test_smooth_l1_branches() -> None:
    predicted = torch.tensor([0.05, 1.0, -2.0])
    target = torch.zeros(3)
    beta = 1 / 9
    expected = torch.tensor([0.5 * 0.05**2 / beta, 1.0 - 0.5 * beta, 2.0 - 0.5 * beta])
    torch.testing.assert_close(smooth_l1(predicted, target, beta=beta), expected)
