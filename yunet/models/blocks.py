"""Convolution blocks of YuNet and the BatchNorm folding used to fuse them for inference."""

from __future__ import annotations

import torch
from torch import nn


def fold_batch_norm(conv: nn.Conv2d, batch_norm: nn.BatchNorm2d) -> nn.Conv2d:
    """Return a new convolution equal to `batch_norm(conv(x))` in eval mode.

    The BatchNorm running statistics and affine parameters are folded into the kernel and bias:
    `w' = w * gamma / sqrt(var + eps)` per output channel and `b' = (b - mean) * gamma / sqrt(var + eps) + beta`.
    """
    fused = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
        padding_mode=conv.padding_mode,
    ).to(device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        scale = batch_norm.weight / torch.sqrt(batch_norm.running_var + batch_norm.eps)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(batch_norm.running_mean)
        fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        fused.bias.copy_((bias - batch_norm.running_mean) * scale + batch_norm.bias)
    return fused


class DepthwiseUnit(nn.Module):
    """1x1 convolution, then 3x3 depthwise convolution, then optionally BatchNorm and ReLU.

    Both convolutions have a bias. This is the unit every part of YuNet is built from
    (`ConvDPUnit` in libfacedetection.train).
    """

    def __init__(self, in_channels: int, out_channels: int, *, with_bn_relu: bool = True) -> None:
        super().__init__()
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=True)
        self.depthwise = nn.Conv2d(out_channels, out_channels, 3, padding=1, groups=out_channels, bias=True)
        self.bn: nn.Module = nn.BatchNorm2d(out_channels) if with_bn_relu else nn.Identity()
        self.act: nn.Module = nn.ReLU(inplace=True) if with_bn_relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.depthwise(self.pointwise(x))))

    def fuse(self) -> None:
        """Fold the BatchNorm into the depthwise convolution, in place; a no-op once fused."""
        if isinstance(self.bn, nn.BatchNorm2d):
            self.depthwise = fold_batch_norm(self.depthwise, self.bn)
            self.bn = nn.Identity()


class Stem(nn.Module):
    """3x3 stride-2 convolution with BatchNorm and ReLU, then a depthwise unit (halves H and W)."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, mid_channels, 3, stride=2, padding=1, bias=True)
        self.bn: nn.Module = nn.BatchNorm2d(mid_channels)
        self.act = nn.ReLU(inplace=True)
        self.unit = DepthwiseUnit(mid_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unit(self.act(self.bn(self.conv(x))))

    def fuse(self) -> None:
        """Fold every BatchNorm into its convolution, in place; a no-op once fused."""
        if isinstance(self.bn, nn.BatchNorm2d):
            self.conv = fold_batch_norm(self.conv, self.bn)
            self.bn = nn.Identity()
        self.unit.fuse()


class StageBlock(nn.Module):
    """Two depthwise units: `in -> in`, then `in -> out` (`Conv4layerBlock` in libfacedetection.train)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.unit1 = DepthwiseUnit(in_channels, in_channels)
        self.unit2 = DepthwiseUnit(in_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unit2(self.unit1(x))

    def fuse(self) -> None:
        """Fold both units' BatchNorms, in place."""
        self.unit1.fuse()
        self.unit2.fuse()
