"""Convolution blocks of YuNet, their reparameterizable (RepVGG-style) versions, and the BatchNorm folding
used to fuse both for inference.

RepVGG: X. Ding et al., "RepVGG: Making VGG-style ConvNets Great Again", CVPR 2021.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from yunet.errors import ConfigError


def fuse_conv_bn_weights(
    kernel: torch.Tensor, bias: torch.Tensor | None, batch_norm: nn.BatchNorm2d
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold an eval-mode BatchNorm into a convolution's kernel `(C_out, C_in / groups, k, k)` and bias `(C_out,)`.

    Returns the kernel and bias of a convolution equal to `batch_norm(conv(x))`:
    `w' = w * gamma / sqrt(var + eps)` per output channel and `b' = (b - mean) * gamma / sqrt(var + eps) + beta`.
    A missing `bias` counts as zero.
    """
    scale = batch_norm.weight / torch.sqrt(batch_norm.running_var + batch_norm.eps)
    if bias is None:
        bias = torch.zeros_like(batch_norm.running_mean)
    return kernel * scale.reshape(-1, 1, 1, 1), (bias - batch_norm.running_mean) * scale + batch_norm.bias


def fold_batch_norm(conv: nn.Conv2d, batch_norm: nn.BatchNorm2d) -> nn.Conv2d:
    """Return a new convolution (with bias) equal to `batch_norm(conv(x))` in eval mode."""
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
        kernel, bias = fuse_conv_bn_weights(conv.weight, conv.bias, batch_norm)
        fused.weight.copy_(kernel)
        fused.bias.copy_(bias)
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


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int, *, stride: int, groups: int) -> nn.Sequential:
    """Convolution without bias (the BatchNorm's shift replaces it) followed by BatchNorm."""
    conv = nn.Conv2d(
        in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, groups=groups, bias=False
    )
    return nn.Sequential(OrderedDict(conv=conv, bn=nn.BatchNorm2d(out_channels)))


class RepConv(nn.Module):
    """Reparameterizable 3x3 convolution: 3x3 conv+BN, 1x1 conv+BN and, when shapes allow, an identity BN.

    During training the block is the sum of its branches. `fuse()` merges them into one 3x3 convolution with
    bias that gives the same output in eval mode. The identity branch exists when `in_channels ==
    out_channels` and `stride == 1`. Every branch uses the same `groups`, so `groups=channels` gives the
    depthwise form. There is no activation: the block replaces a convolution followed by BatchNorm.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: stride of the 3x3 and 1x1 convolutions (padding 1 and 0 keep their sampling points aligned).
        groups: convolution groups, dividing both channel counts.
        fused: build the fused form directly (one 3x3 convolution), for loading fused weights.

    Raises:
        ConfigError: if `groups` does not divide both channel counts.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        stride: int = 1,
        groups: int = 1,
        fused: bool = False,
    ) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ConfigError(
                f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.groups = groups
        self.fused_conv: nn.Conv2d | None = None
        self.conv3x3: nn.Sequential | None = None
        self.conv1x1: nn.Sequential | None = None
        self.identity: nn.BatchNorm2d | None = None
        if fused:
            self.fused_conv = self._new_fused_conv()
            return
        self.conv3x3 = _conv_bn(in_channels, out_channels, 3, stride=stride, groups=groups)
        self.conv1x1 = _conv_bn(in_channels, out_channels, 1, stride=stride, groups=groups)
        if in_channels == out_channels and stride == 1:
            self.identity = nn.BatchNorm2d(out_channels)

    @property
    def is_fused(self) -> bool:
        """Whether the branches have been merged into one convolution."""
        return self.fused_conv is not None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused_conv is not None:
            return self.fused_conv(x)
        assert self.conv3x3 is not None and self.conv1x1 is not None
        out = self.conv3x3(x) + self.conv1x1(x)
        if self.identity is not None:
            out = out + self.identity(x)
        return out

    def fuse(self) -> None:
        """Merge the branches into one 3x3 convolution, in place, and free them; a no-op once fused.

        The result equals the eval-mode output of the branches. Each branch's BatchNorm is folded into its
        kernel and the 1x1 kernel is zero-padded to 3x3. The identity becomes a 3x3 kernel with a 1 at the
        centre of each channel's own input.
        """
        if self.fused_conv is not None:
            return
        assert self.conv3x3 is not None and self.conv1x1 is not None
        with torch.no_grad():
            kernel, bias = fuse_conv_bn_weights(self.conv3x3.conv.weight, None, self.conv3x3.bn)
            kernel_1x1, bias_1x1 = fuse_conv_bn_weights(self.conv1x1.conv.weight, None, self.conv1x1.bn)
            kernel = kernel + F.pad(kernel_1x1, [1, 1, 1, 1])
            bias = bias + bias_1x1
            if self.identity is not None:
                kernel_id, bias_id = fuse_conv_bn_weights(self._identity_kernel(kernel), None, self.identity)
                kernel = kernel + kernel_id
                bias = bias + bias_id
            fused_conv = self._new_fused_conv().to(device=kernel.device, dtype=kernel.dtype)
            fused_conv.weight.copy_(kernel)
            fused_conv.bias.copy_(bias)
        self.fused_conv = fused_conv
        self.conv3x3 = None
        self.conv1x1 = None
        self.identity = None

    def _new_fused_conv(self) -> nn.Conv2d:
        return nn.Conv2d(
            self.in_channels, self.out_channels, 3, stride=self.stride, padding=1, groups=self.groups, bias=True
        )

    def _identity_kernel(self, like: torch.Tensor) -> torch.Tensor:
        """3x3 kernel `(C, C / groups, 3, 3)` of the identity map: output channel i reads input channel i,
        which is channel `i % (C / groups)` of its group."""
        kernel = torch.zeros_like(like)
        channels_per_group = self.in_channels // self.groups
        for channel in range(self.out_channels):
            kernel[channel, channel % channels_per_group, 1, 1] = 1.0
        return kernel


class RepDepthwiseUnit(nn.Module):
    """Depthwise unit whose 3x3 depthwise convolution and BatchNorm are a depthwise `RepConv`.

    1x1 convolution (bias), then a depthwise RepConv, then ReLU. Once fused it computes what a fused
    `DepthwiseUnit` with BatchNorm and ReLU computes, so both have the same inference cost.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=True)
        self.depthwise = RepConv(out_channels, out_channels, groups=out_channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.depthwise(self.pointwise(x)))

    def fuse(self) -> None:
        """Merge the depthwise RepConv's branches, in place; a no-op once fused."""
        self.depthwise.fuse()


def make_depthwise_unit(in_channels: int, out_channels: int, *, repconv: bool) -> DepthwiseUnit | RepDepthwiseUnit:
    """Build a depthwise unit with BatchNorm and ReLU: the original one, or its RepConv version."""
    if repconv:
        return RepDepthwiseUnit(in_channels, out_channels)
    return DepthwiseUnit(in_channels, out_channels)


class Stem(nn.Module):
    """3x3 stride-2 convolution with BatchNorm and ReLU, then a depthwise unit (halves H and W).

    With `repconv=True` the convolution and its BatchNorm are a stride-2 `RepConv` (3x3 and 1x1 branches,
    no identity) and the depthwise unit is a `RepDepthwiseUnit`.
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, *, repconv: bool = False) -> None:
        super().__init__()
        self.conv: nn.Module
        if repconv:
            self.conv = RepConv(in_channels, mid_channels, stride=2)
            self.bn: nn.Module = nn.Identity()
        else:
            self.conv = nn.Conv2d(in_channels, mid_channels, 3, stride=2, padding=1, bias=True)
            self.bn = nn.BatchNorm2d(mid_channels)
        self.act = nn.ReLU(inplace=True)
        self.unit = make_depthwise_unit(mid_channels, out_channels, repconv=repconv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unit(self.act(self.bn(self.conv(x))))

    def fuse(self) -> None:
        """Fold every BatchNorm into its convolution and merge RepConv branches, in place; a no-op once fused."""
        if isinstance(self.conv, RepConv):
            self.conv.fuse()
        elif isinstance(self.bn, nn.BatchNorm2d):
            self.conv = fold_batch_norm(self.conv, self.bn)
            self.bn = nn.Identity()
        self.unit.fuse()


class StageBlock(nn.Module):
    """Two depthwise units: `in -> in`, then `in -> out` (`Conv4layerBlock` in libfacedetection.train).

    With `repconv=True` both are `RepDepthwiseUnit`s.
    """

    def __init__(self, in_channels: int, out_channels: int, *, repconv: bool = False) -> None:
        super().__init__()
        self.unit1 = make_depthwise_unit(in_channels, in_channels, repconv=repconv)
        self.unit2 = make_depthwise_unit(in_channels, out_channels, repconv=repconv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unit2(self.unit1(x))

    def fuse(self) -> None:
        """Fold both units' BatchNorms and merge their RepConv branches, in place."""
        self.unit1.fuse()
        self.unit2.fuse()
