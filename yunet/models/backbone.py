"""YuNet backbone: a stem and stage blocks of depthwise units, giving stride-8, 16 and 32 features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from yunet.config import ModelConfig
from yunet.models.blocks import StageBlock, Stem


class Backbone(nn.Module):
    """Feature extractor: stem (stride 2), max-pool, then stage blocks with max-pools between some of them.

    The input is `(B, 3, H, W)` with H and W multiples of 32; the outputs are the last three stages'
    features, `(B, C, H/8, W/8)`, `(B, C, H/16, W/16)` and `(B, C, H/32, W/32)`.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.stem = Stem(3, config.stem_channels[0], config.stem_channels[1])
        self.stages = nn.ModuleList(StageBlock(in_ch, out_ch) for in_ch, out_ch in config.stage_channels)
        self.downsample_stages = frozenset(config.downsample_stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.max_pool2d(self.stem(x), 2)  # stride 4
        features = []
        for index, stage in enumerate(self.stages, start=1):
            x = stage(x)
            features.append(x)
            if index in self.downsample_stages:
                x = F.max_pool2d(x, 2)
        return features[-3:]

    def fuse(self) -> None:
        """Fold every BatchNorm, in place."""
        self.stem.fuse()
        for stage in self.stages:
            stage.fuse()
