"""Anchor-free priors: one point per grid cell and level."""

from __future__ import annotations

import torch


def grid_sizes(height: int, width: int, strides: tuple[int, ...]) -> list[tuple[int, int]]:
    """Return the `(rows, cols)` of each level's grid for an input of `height` x `width` pixels."""
    return [(height // stride, width // stride) for stride in strides]


def make_priors(
    height: int,
    width: int,
    strides: tuple[int, ...],
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Build the priors of every level, concatenated in the head's output order.

    Returns:
        `(P, 3)` rows `(c, r, stride)`: grid column, grid row (cell-corner units, not pixels) and the
        level's stride in pixels. The cell's top-left corner in input pixels is `(c * stride, r * stride)`.
    """
    per_level = []
    for (rows, cols), stride in zip(grid_sizes(height, width, strides), strides):
        r, c = torch.meshgrid(
            torch.arange(rows, device=device, dtype=dtype), torch.arange(cols, device=device, dtype=dtype), indexing="ij"
        )
        s = torch.full_like(c, float(stride))
        per_level.append(torch.stack([c.reshape(-1), r.reshape(-1), s.reshape(-1)], dim=1))
    return torch.cat(per_level, dim=0)
