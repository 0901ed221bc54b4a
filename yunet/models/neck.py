"""TinyFPN: the top-down feature pyramid of YuNet."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from yunet.models.blocks import DepthwiseUnit


class TinyFPN(nn.Module):
    """Top-down pyramid: each level gets a depthwise unit, and the coarser result, upsampled x2 (nearest),
    is added to the finer level before that level's own unit.

    Inputs and outputs are lists ordered fine to coarse (strides 8, 16, 32), each `(B, C, H_l, W_l)`.
    """

    def __init__(self, channels: int, num_levels: int = 3) -> None:
        super().__init__()
        self.lateral_units = nn.ModuleList(DepthwiseUnit(channels, channels) for _ in range(num_levels))

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        outputs = list(features)
        for level in range(len(outputs) - 1, 0, -1):
            outputs[level] = self.lateral_units[level](outputs[level])
            outputs[level - 1] = outputs[level - 1] + F.interpolate(outputs[level], scale_factor=2.0, mode="nearest")
        outputs[0] = self.lateral_units[0](outputs[0])
        return outputs

    def fuse(self) -> None:
        """Fold every BatchNorm, in place."""
        for unit in self.lateral_units:
            unit.fuse()
