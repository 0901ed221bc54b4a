"""Lightweight channel attention for YuNet's backbone stages: coordinate attention and ECA.

Coordinate attention: Q. Hou, D. Zhou, J. Feng, "Coordinate Attention for Efficient Mobile Network Design",
CVPR 2021. ECA: Q. Wang et al., "ECA-Net: Efficient Channel Attention for Deep Convolutional Neural
Networks", CVPR 2020.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from yunet.models.blocks import fold_batch_norm


class CoordinateAttention(nn.Module):
    """Coordinate attention: channel weights factorized into a per-row and a per-column map.

    The input `(B, C, H, W)` is averaged along W and along H, both profiles go through one shared 1x1
    convolution with BatchNorm and hard-swish, then each through its own 1x1 convolution and a sigmoid. The
    output is the input times the `(B, C, H, 1)` and `(B, C, 1, W)` weights, so it has the input's shape.

    Args:
        channels: input and output channels.
        reduction: the shared convolution has `max(min_hidden_channels, channels // reduction)` outputs.
        min_hidden_channels: lower bound of the shared convolution's output channels.
    """

    def __init__(self, channels: int, *, reduction: int = 8, min_hidden_channels: int = 8) -> None:
        super().__init__()
        hidden_channels = max(min_hidden_channels, channels // reduction)
        self.reduce = nn.Conv2d(channels, hidden_channels, 1, bias=True)
        self.bn: nn.Module = nn.BatchNorm2d(hidden_channels)
        self.act = nn.Hardswish()
        self.attend_rows = nn.Conv2d(hidden_channels, channels, 1, bias=True)
        self.attend_cols = nn.Conv2d(hidden_channels, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height = x.shape[2]
        row_profile = x.mean(dim=3, keepdim=True)  # (B, C, H, 1)
        col_profile = x.mean(dim=2, keepdim=True).transpose(2, 3)  # (B, C, W, 1)

        # Both profiles share the BatchNorm statistics, as in the paper: they are normalized as one sequence.
        profiles = self.act(self.bn(self.reduce(torch.cat([row_profile, col_profile], dim=2))))  # (B, hidden, H+W, 1)

        row_weights = torch.sigmoid(self.attend_rows(profiles[:, :, :height]))  # (B, C, H, 1)
        col_weights = torch.sigmoid(self.attend_cols(profiles[:, :, height:])).transpose(2, 3)  # (B, C, 1, W)
        return x * row_weights * col_weights

    def fuse(self) -> None:
        """Fold the BatchNorm into the shared convolution, in place; a no-op once fused."""
        if isinstance(self.bn, nn.BatchNorm2d):
            self.reduce = fold_batch_norm(self.reduce, self.bn)
            self.bn = nn.Identity()


class EfficientChannelAttention(nn.Module):
    """ECA: a sigmoid channel weight from a 1-D convolution across the globally averaged channels.

    The kernel size follows ECA-Net's adaptive rule with gamma 2 and b 1: `int((log2(C) + 1) / 2)`, plus 1
    when even, which gives 3 for 16 to 64 channels. The output has the input's shape `(B, C, H, W)`.

    Note:
        The 1-D convolution is stored as a `(1, k)` 2-D convolution over a `(B, 1, 1, C)` view, an
        equivalent form that ONNX importers without 1-D convolutions also read.

    Args:
        channels: input and output channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        kernel_size = int(abs((math.log2(channels) + 1) / 2))
        kernel_size = kernel_size if kernel_size % 2 == 1 else kernel_size + 1
        self.conv = nn.Conv2d(1, 1, (1, kernel_size), padding=(0, kernel_size // 2), bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channel_means = x.mean(dim=(2, 3), keepdim=True).transpose(1, 3)  # (B, 1, 1, C)
        weights = torch.sigmoid(self.conv(channel_means)).transpose(1, 3)  # (B, C, 1, 1)
        return x * weights

    def fuse(self) -> None:
        """Do nothing: ECA has no BatchNorm and no branches to merge."""
