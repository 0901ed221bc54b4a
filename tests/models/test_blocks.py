"""Tests of the YuNet blocks: BatchNorm folding, RepConv and its depthwise unit."""

from __future__ import annotations

import pytest
import torch
from model_helpers import assert_fuse_preserves_output, assert_relative_close, randomize_batch_norm
from model_helpers import one_torch_thread  # noqa: F401 (autouse fixture)
from torch import nn

from yunet.errors import ConfigError
from yunet.models.blocks import DepthwiseUnit, RepConv, RepDepthwiseUnit, fold_batch_norm

REPCONV_SHAPES = [
    # (in_channels, out_channels, stride, groups)
    (8, 8, 1, 1),  # dense, with identity
    (8, 8, 1, 8),  # depthwise, with identity
    (8, 16, 1, 2),  # grouped, channels change: no identity
    (3, 16, 2, 1),  # the stem: stride 2, no identity
    (8, 8, 2, 8),  # depthwise with stride 2: no identity
    (8, 8, 1, 4),  # grouped, with identity
]


@pytest.mark.parametrize(("in_channels", "out_channels", "stride", "groups"), REPCONV_SHAPES)
def test_repconv_fuse_matches_branches(in_channels: int, out_channels: int, stride: int, groups: int) -> None:
    torch.manual_seed(0)
    block = RepConv(in_channels, out_channels, stride=stride, groups=groups)

    assert_fuse_preserves_output(block, torch.randn(2, in_channels, 11, 13))
    assert block.is_fused


def test_repconv_identity_branch_only_when_shapes_allow() -> None:
    assert RepConv(8, 8).identity is not None
    assert RepConv(8, 8, groups=8).identity is not None
    assert RepConv(8, 16).identity is None
    assert RepConv(8, 8, stride=2).identity is None


def test_repconv_fuse_is_idempotent() -> None:
    block = RepConv(8, 8, groups=8)
    randomize_batch_norm(block)
    block.eval()
    block.fuse()
    fused_conv = block.fused_conv
    weight = fused_conv.weight.detach().clone()

    block.fuse()

    assert block.fused_conv is fused_conv
    assert torch.equal(block.fused_conv.weight, weight)


def test_repconv_fuse_frees_branches() -> None:
    block = RepConv(8, 8)
    block.fuse()

    assert block.conv3x3 is None
    assert block.conv1x1 is None
    assert block.identity is None
    assert not any(isinstance(module, nn.BatchNorm2d) for module in block.modules())


def test_repconv_fused_flag_loads_fused_weights() -> None:
    block = RepConv(8, 8, groups=8)
    randomize_batch_norm(block)
    block.eval()
    block.fuse()
    x = torch.randn(1, 8, 7, 7)

    rebuilt = RepConv(8, 8, groups=8, fused=True)
    rebuilt.load_state_dict(block.state_dict(), strict=True)

    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), block(x), rtol=0, atol=0)


def test_repconv_rejects_groups_not_dividing_channels() -> None:
    with pytest.raises(ConfigError, match="groups=3"):
        RepConv(8, 8, groups=3)


def test_rep_depthwise_unit_fuse_matches_unfused() -> None:
    torch.manual_seed(0)
    unit = RepDepthwiseUnit(6, 10)

    assert_fuse_preserves_output(unit, torch.randn(2, 6, 9, 9))
    assert unit.depthwise.is_fused


def test_fold_batch_norm_matches_conv_then_bn() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 6, 3, padding=1, groups=2, bias=True)
    batch_norm = nn.BatchNorm2d(6)
    randomize_batch_norm(batch_norm)
    batch_norm.eval()
    x = torch.randn(2, 4, 8, 8)

    with torch.no_grad():
        expected = batch_norm(conv(x))
        actual = fold_batch_norm(conv, batch_norm)(x)

    assert_relative_close(actual, expected)


def test_depthwise_unit_fuse_is_idempotent() -> None:
    unit = DepthwiseUnit(4, 8)
    randomize_batch_norm(unit)
    unit.eval()
    unit.fuse()
    depthwise = unit.depthwise

    unit.fuse()

    assert unit.depthwise is depthwise
