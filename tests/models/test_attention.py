"""Tests of coordinate attention and ECA."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from model_helpers import assert_fuse_preserves_output, assert_relative_close, randomize_batch_norm
from model_helpers import one_torch_thread  # noqa: F401 (autouse fixture)

from yunet.models.attention import CoordinateAttention, EfficientChannelAttention


def test_coordinate_attention_keeps_shape() -> None:
    module = CoordinateAttention(16).eval()
    x = torch.randn(2, 16, 6, 10)

    assert module(x).shape == x.shape


def test_coordinate_attention_zero_weights_halve_twice() -> None:
    # With zero attention convolutions both sigmoid maps are 0.5, so the output is x / 4.
    module = CoordinateAttention(16).eval()
    torch.nn.init.zeros_(module.attend_rows.weight)
    torch.nn.init.zeros_(module.attend_rows.bias)
    torch.nn.init.zeros_(module.attend_cols.weight)
    torch.nn.init.zeros_(module.attend_cols.bias)
    x = torch.randn(1, 16, 5, 7)

    with torch.no_grad():
        torch.testing.assert_close(module(x), x / 4, rtol=1e-6, atol=1e-6)


def test_coordinate_attention_weights_rows_and_columns() -> None:
    # Rebuild the two attention maps by hand from the row and column means.
    torch.manual_seed(0)
    module = CoordinateAttention(8, reduction=2, min_hidden_channels=1)
    randomize_batch_norm(module)
    module.eval()
    x = torch.randn(1, 8, 4, 6)

    with torch.no_grad():
        def hidden(profile: torch.Tensor) -> torch.Tensor:
            return F.hardswish(module.bn(module.reduce(profile)))

        row_weights = torch.sigmoid(module.attend_rows(hidden(x.mean(dim=3, keepdim=True))))  # (1, 8, 4, 1)
        col_profile = x.mean(dim=2, keepdim=True).transpose(2, 3)
        col_weights = torch.sigmoid(module.attend_cols(hidden(col_profile))).transpose(2, 3)  # (1, 8, 1, 6)
        expected = x * row_weights * col_weights

        assert_relative_close(module(x), expected)


def test_coordinate_attention_fuse_matches_unfused() -> None:
    torch.manual_seed(0)
    module = CoordinateAttention(16)

    assert_fuse_preserves_output(module, torch.randn(2, 16, 6, 10))
    assert not isinstance(module.bn, torch.nn.BatchNorm2d)


def test_coordinate_attention_fuse_is_idempotent() -> None:
    module = CoordinateAttention(16)
    randomize_batch_norm(module)
    module.eval()
    module.fuse()
    reduce = module.reduce

    module.fuse()

    assert module.reduce is reduce


@pytest.mark.parametrize(("channels", "kernel_size"), [(16, 3), (64, 3), (256, 5), (1024, 5)])
def test_eca_kernel_size_follows_channels(channels: int, kernel_size: int) -> None:
    assert EfficientChannelAttention(channels).conv.kernel_size == (1, kernel_size)


def test_eca_matches_conv1d_reference() -> None:
    torch.manual_seed(0)
    module = EfficientChannelAttention(16).eval()
    x = torch.randn(2, 16, 5, 5)
    kernel = module.conv.weight.reshape(1, 1, -1)  # (1, 1, k)

    with torch.no_grad():
        means = x.mean(dim=(2, 3)).unsqueeze(1)  # (B, 1, C)
        weights = torch.sigmoid(F.conv1d(means, kernel, padding=kernel.shape[-1] // 2))  # (B, 1, C)
        expected = x * weights.squeeze(1)[:, :, None, None]

        assert_relative_close(module(x), expected)
