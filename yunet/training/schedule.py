"""Learning-rate schedules: linear warmup by iteration, then step decay or cosine by epoch.

The warmup is mmcv's linear warmup: at iteration `i < warmup_iters` the factor applied to the scheduled rate
is `1 - (1 - i / warmup_iters) (1 - warmup_ratio)`.
"""

from __future__ import annotations

import bisect
import math

import torch

from yunet.training.config import ScheduleConfig


class WarmupSchedule:
    """Sets the optimizer's learning rate before each iteration.

    Args:
        optimizer: the optimizer whose groups get the rate.
        config: schedule settings.
        base_lr: the rate after warmup and before decay.
        total_epochs: length of the run (the cosine policy ends there).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, config: ScheduleConfig, *, base_lr: float, total_epochs: int) -> None:
        self.optimizer = optimizer
        self.config = config
        self.base_lr = base_lr
        self.total_epochs = total_epochs
        self.last_lr = base_lr

    def lr_at(self, step: int, epoch_progress: float) -> float:
        """Learning rate of iteration `step` (0-based), `epoch_progress` epochs into the run."""
        config = self.config
        if config.policy == "step":
            scheduled = self.base_lr * config.gamma ** bisect.bisect_right(config.milestones, int(epoch_progress))
        else:
            fraction = min(epoch_progress / self.total_epochs, 1.0)
            floor = self.base_lr * config.min_lr_ratio
            scheduled = floor + (self.base_lr - floor) * 0.5 * (1 + math.cos(math.pi * fraction))
        if step < config.warmup_iters:
            scheduled *= 1 - (1 - step / config.warmup_iters) * (1 - config.warmup_ratio)
        return scheduled

    def step(self, step: int, epoch_progress: float) -> float:
        """Set and return the learning rate of iteration `step`."""
        self.last_lr = self.lr_at(step, epoch_progress)
        for group in self.optimizer.param_groups:
            group["lr"] = self.last_lr
        return self.last_lr

    def state_dict(self) -> dict[str, float]:
        """The rate last set (the schedule itself is a pure function of the step)."""
        return {"last_lr": self.last_lr}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Restore the rate last set."""
        self.last_lr = float(state["last_lr"])
