"""Helpers shared by the model tests: random BatchNorm state and a relative-error check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Run the test with one torch thread, restoring the count afterwards.

    Import this fixture into a test module to apply it there. The model tests run tiny inputs, for which
    several intra-op threads on a busy machine are about ten times slower than one.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def randomize_batch_norm(model: nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm random running statistics and affine parameters, so fusing them is not trivial."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                size = module.num_features
                module.running_mean.copy_(torch.rand(size, generator=generator) * 2 - 1)
                module.running_var.copy_(torch.rand(size, generator=generator) * 1.5 + 0.5)
                module.weight.copy_(torch.rand(size, generator=generator) + 0.5)
                module.bias.copy_(torch.rand(size, generator=generator) * 2 - 1)


def assert_relative_close(actual: torch.Tensor, expected: torch.Tensor, max_relative_error: float = 1e-5) -> None:
    """Assert `max |actual - expected| / max |expected| < max_relative_error`, and equal shapes."""
    assert actual.shape == expected.shape
    scale = expected.abs().max().clamp(min=1e-12)
    relative_error = ((actual - expected).abs().max() / scale).item()
    assert relative_error < max_relative_error, f"relative error {relative_error:.3g} >= {max_relative_error}"


def assert_fuse_preserves_output(module: nn.Module, x: torch.Tensor) -> None:
    """Randomize the BatchNorms of `module`, then assert that its eval output on `x` is the same after
    `module.fuse()` (in place) as before, within relative error 1e-5."""
    randomize_batch_norm(module)
    module.eval()
    with torch.no_grad():
        expected = module(x)
        module.fuse()  # type: ignore[operator]
        actual = module(x)
    assert_relative_close(actual, expected)
