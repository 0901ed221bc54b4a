"""YuNet's anchor-free head: per level, shared depthwise units then cls, obj, bbox and kps branches."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from yunet.models.blocks import DepthwiseUnit


class HeadOutputs(NamedTuple):
    """Raw head outputs, one tensor per level (strides 8, 16, 32), each `(B, H_l * W_l, C)` in row-major
    grid order.

    `cls` and `obj` are logits (C=1), `bbox` the deltas `(dx, dy, dw, dh)` in stride units (C=4) and
    `kps` the landmark offsets `(x1, y1, ..., x5, y5)` in stride units (C=2K).
    """

    cls: list[torch.Tensor]
    obj: list[torch.Tensor]
    bbox: list[torch.Tensor]
    kps: list[torch.Tensor]

    def concat(self) -> HeadOutputs:
        """Join the levels along the prior axis: every field becomes a one-element list of `(B, P, C)`."""
        return HeadOutputs(*([torch.cat(per_level, dim=1)] for per_level in self))


def flatten_level(x: torch.Tensor) -> torch.Tensor:
    """Reshape `(B, C, H, W)` to `(B, H * W, C)`, row-major over the grid."""
    batch, channels = x.shape[:2]
    return x.permute(0, 2, 3, 1).reshape(batch, -1, channels)


class YuNetHead(nn.Module):
    """Per-level head: `num_shared_units` depthwise units, then four depthwise units without BN/ReLU."""

    def __init__(
        self,
        in_channels: int,
        head_channels: int,
        *,
        num_levels: int = 3,
        num_shared_units: int = 1,
        num_keypoints: int = 5,
    ) -> None:
        super().__init__()
        branch_channels = head_channels if num_shared_units > 0 else in_channels
        self.shared_units = nn.ModuleList()
        for _ in range(num_levels):
            units = [DepthwiseUnit(in_channels if i == 0 else head_channels, head_channels) for i in range(num_shared_units)]
            self.shared_units.append(nn.Sequential(*units))
        self.cls_units = nn.ModuleList(DepthwiseUnit(branch_channels, 1, with_bn_relu=False) for _ in range(num_levels))
        self.obj_units = nn.ModuleList(DepthwiseUnit(branch_channels, 1, with_bn_relu=False) for _ in range(num_levels))
        self.bbox_units = nn.ModuleList(DepthwiseUnit(branch_channels, 4, with_bn_relu=False) for _ in range(num_levels))
        self.kps_units = nn.ModuleList(
            DepthwiseUnit(branch_channels, 2 * num_keypoints, with_bn_relu=False) for _ in range(num_levels)
        )

    def forward(self, features: list[torch.Tensor]) -> HeadOutputs:
        outputs = HeadOutputs([], [], [], [])
        for level, x in enumerate(features):
            x = self.shared_units[level](x)
            outputs.cls.append(flatten_level(self.cls_units[level](x)))  # (B, H*W, 1)
            outputs.obj.append(flatten_level(self.obj_units[level](x)))  # (B, H*W, 1)
            outputs.bbox.append(flatten_level(self.bbox_units[level](x)))  # (B, H*W, 4)
            outputs.kps.append(flatten_level(self.kps_units[level](x)))  # (B, H*W, 2K)
        return outputs

    def fuse(self) -> None:
        """Fold every BatchNorm, in place."""
        for units in self.shared_units:
            for unit in units:
                unit.fuse()
