"""YuNet backbone: a stem and stage blocks of depthwise units, giving stride-8, 16 and 32 features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from yunet.config import ModelConfig
from yunet.models.attention import CoordinateAttention, EfficientChannelAttention
from yunet.models.blocks import StageBlock, Stem


def _make_attention(config: ModelConfig, channels: int) -> nn.Module:
    if config.attention == "coordinate":
        return CoordinateAttention(channels, reduction=config.attention_reduction)
    if config.attention == "eca":
        return EfficientChannelAttention(channels)
    return nn.Identity()


class Backbone(nn.Module):
    """Feature extractor: stem (stride 2), max-pool, then stage blocks with max-pools between some of them.

    The input is `(B, 3, H, W)` with H and W multiples of 32; the outputs are the last three stages'
    features, `(B, C, H/8, W/8)`, `(B, C, H/16, W/16)` and `(B, C, H/32, W/32)`. With
    `config.backbone_block == "repconv"` the stem and stages use RepConv blocks; with `config.attention`
    set, the stages in `config.attention_stages` are followed by an attention module (before any max-pool).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        repconv = config.backbone_block == "repconv"
        self.stem = Stem(3, config.stem_channels[0], config.stem_channels[1], repconv=repconv)
        self.stages = nn.ModuleList(
            StageBlock(in_ch, out_ch, repconv=repconv) for in_ch, out_ch in config.stage_channels
        )
        # One entry per stage; stages without attention get a parameter-free identity.
        self.attention = nn.ModuleList(
            _make_attention(config, out_ch) if index in config.attention_stages else nn.Identity()
            for index, (_, out_ch) in enumerate(config.stage_channels, start=1)
        )
        self.downsample_stages = frozenset(config.downsample_stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.max_pool2d(self.stem(x), 2)  # stride 4
        features = []
        for index, (stage, attention) in enumerate(zip(self.stages, self.attention), start=1):
            x = attention(stage(x))
            features.append(x)
            if index in self.downsample_stages:
                x = F.max_pool2d(x, 2)
        return features[-3:]

    def fuse(self) -> None:
        """Fold every BatchNorm and merge every RepConv, in place."""
        self.stem.fuse()
        for stage in self.stages:
            stage.fuse()
        for attention in self.attention:
            if isinstance(attention, (CoordinateAttention, EfficientChannelAttention)):
                attention.fuse()
