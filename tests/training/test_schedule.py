"""Tests of the learning-rate schedules."""

from __future__ import annotations

import pytest
import torch

from yunet.training.config import ScheduleConfig
from yunet.training.schedule import WarmupSchedule


def _schedule(**fields) -> WarmupSchedule:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    return WarmupSchedule(optimizer, ScheduleConfig(**fields), base_lr=0.01, total_epochs=640)


def test_linear_warmup_then_steps() -> None:
    schedule = _schedule()
    assert schedule.lr_at(0, 0.0) == pytest.approx(1e-5)
    assert schedule.lr_at(750, 1.0) == pytest.approx(0.01 * (1 - 0.5 * 0.999))
    assert schedule.lr_at(1500, 2.0) == pytest.approx(0.01)
    assert schedule.lr_at(10**6, 399.9) == pytest.approx(0.01)
    assert schedule.lr_at(10**6, 400.0) == pytest.approx(0.001)
    assert schedule.lr_at(10**6, 544.0) == pytest.approx(0.0001)


def test_cosine_reaches_floor() -> None:
    schedule = _schedule(policy="cosine", warmup_iters=0, min_lr_ratio=0.1)
    assert schedule.lr_at(0, 0.0) == pytest.approx(0.01)
    assert schedule.lr_at(0, 320.0) == pytest.approx(0.0055)
    assert schedule.lr_at(0, 640.0) == pytest.approx(0.001)


def test_step_sets_optimizer_lr() -> None:
    schedule = _schedule()
    rate = schedule.step(3, 0.0)
    assert schedule.optimizer.param_groups[0]["lr"] == rate
