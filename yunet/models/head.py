"""YuNet's anchor-free head: per level, shared depthwise units, then cls, obj, bbox and kps branches.

The original head is coupled and regresses boxes and landmarks directly. The modern options add a
decoupled head (separate classification and regression towers, as in YOLOX), a Distribution Focal Loss
box branch (X. Li et al., "Generalized Focal Loss", NeurIPS 2020) and a SimCC keypoint branch (Y. Li et al.,
"SimCC: a Simple Coordinate Classification Perspective for Human Pose Estimation", ECCV 2022).
Whatever the options, `predict`-style outputs use the official layout of `HeadOutputs`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from yunet.config import ModelConfig
from yunet.models.blocks import DepthwiseUnit

# Smallest box side `l + r` or `t + b` (stride units) that the DFL conversion takes the log of.
_MIN_DFL_SIDE = 1e-6


class HeadOutputs(NamedTuple):
    """Raw head outputs in the official layout, one tensor per level (strides 8, 16, 32), each
    `(B, H_l * W_l, C)` in row-major grid order.

    `cls` and `obj` are logits (C=1), `bbox` the deltas `(dx, dy, dw, dh)` in stride units (C=4) and
    `kps` the landmark offsets `(x1, y1, ..., x5, y5)` in stride units (C=2K), all relative to the cell's
    top-left corner: `cx = (c + dx) s`, `w = exp(dw) s`, landmark `((c + kx) s, (r + ky) s)`.
    """

    cls: list[torch.Tensor]
    obj: list[torch.Tensor]
    bbox: list[torch.Tensor]
    kps: list[torch.Tensor]

    def concat(self) -> HeadOutputs:
        """Join the levels along the prior axis: every field becomes a one-element list of `(B, P, C)`."""
        return HeadOutputs(*([torch.cat(per_level, dim=1)] for per_level in self))


class DistributionHeadOutputs(NamedTuple):
    """Training outputs of a head with a DFL box branch or a SimCC keypoint branch, per level.

    The first four fields are those of `HeadOutputs`, in the official layout: `bbox` and `kps` are
    computed from the distributions (differentiably), so box and landmark losses written for the original
    head apply unchanged. The two extra fields hold the distributions' logits for DFL and SimCC losses.

    Attributes:
        cls: classification logits `(B, H_l * W_l, 1)`.
        obj: objectness logits `(B, H_l * W_l, 1)`.
        bbox: deltas `(dx, dy, dw, dh)` in stride units `(B, H_l * W_l, 4)`.
        kps: landmark offsets in stride units `(B, H_l * W_l, 2K)`.
        bbox_logits: with a DFL box branch, logits `(B, H_l * W_l, 4, R + 1)` over distances `0, 1, ..., R`
            (`R = dfl_reg_max`, stride units) of the box's left, top, right and bottom sides from the cell
            centre `((c + 0.5) s, (r + 0.5) s)`; None with a direct box branch.
        kps_logits: with a SimCC keypoint branch, logits `(B, H_l * W_l, 2K, N)` over the `N = num_simcc_bins`
            positions of each coordinate `(x1, y1, ..., x5, y5)`, bin `i` being the offset
            `0.5 - simcc_max_offset + i / simcc_split_ratio` from the cell's top-left corner in stride units;
            None with a direct keypoint branch.
    """

    cls: list[torch.Tensor]
    obj: list[torch.Tensor]
    bbox: list[torch.Tensor]
    kps: list[torch.Tensor]
    bbox_logits: list[torch.Tensor] | None
    kps_logits: list[torch.Tensor] | None

    def official(self) -> HeadOutputs:
        """Return the first four fields, the official layout that `FaceDetector` and the export read."""
        return HeadOutputs(self.cls, self.obj, self.bbox, self.kps)

    def concat(self) -> DistributionHeadOutputs:
        """Join the levels along the prior axis: every field becomes a one-element list (None stays None)."""
        return DistributionHeadOutputs(
            *(None if per_level is None else [torch.cat(per_level, dim=1)] for per_level in self)
        )


def flatten_level(x: torch.Tensor) -> torch.Tensor:
    """Reshape `(B, C, H, W)` to `(B, H * W, C)`, row-major over the grid."""
    batch, channels = x.shape[:2]
    return x.permute(0, 2, 3, 1).reshape(batch, -1, channels)


def distances_to_deltas(distances_ltrb: torch.Tensor) -> torch.Tensor:
    """Convert distances `(..., 4)` of the box sides from the cell centre to official deltas `(..., 4)`.

    Everything is in stride units. With `(l, t, r, b)` measured from the cell centre `(c + 0.5, r + 0.5)`,
    the box centre is at `c + 0.5 + (r - l) / 2` and its width is `l + r`, so `dx = 0.5 + (r - l) / 2`,
    `dw = log(l + r)`, and likewise for y. Widths below 1e-6 stride units are clamped before the log.
    """
    left, top, right, bottom = distances_ltrb.unbind(dim=-1)
    dx = 0.5 + (right - left) / 2
    dy = 0.5 + (bottom - top) / 2
    dw = torch.log((left + right).clamp(min=_MIN_DFL_SIDE))
    dh = torch.log((top + bottom).clamp(min=_MIN_DFL_SIDE))
    return torch.stack([dx, dy, dw, dh], dim=-1)


class DistributionDecoder(nn.Module):
    """Expectation of softmax distributions: `(B, N, F * num_bins)` logits -> `(B, N, F)` values.

    The logits of feature `f` are channels `f * num_bins` to `(f + 1) * num_bins - 1`; bin `i` stands for the
    value `positions[i]`. Also returns the logits reshaped to `(B, N, F, num_bins)`.
    """

    def __init__(self, positions: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("positions", positions.to(torch.float32), persistent=False)

    def forward(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        num_bins = self.positions.numel()
        logits = logits.reshape(*logits.shape[:-1], logits.shape[-1] // num_bins, num_bins)  # (B, N, F, bins)
        expectation = torch.softmax(logits, dim=-1) @ self.positions.to(logits.dtype)  # (B, N, F)
        return expectation, logits


def _branch_units(in_channels: int, out_channels: int, num_levels: int) -> nn.ModuleList:
    return nn.ModuleList(DepthwiseUnit(in_channels, out_channels, with_bn_relu=False) for _ in range(num_levels))


def _towers(channels: int, num_units: int, num_levels: int) -> nn.ModuleList:
    return nn.ModuleList(
        nn.Sequential(*(DepthwiseUnit(channels, channels) for _ in range(num_units))) for _ in range(num_levels)
    )


class YuNetHead(nn.Module):
    """Per-level head: shared depthwise units, optional towers, then four depthwise units without BN/ReLU.

    Coupled (original): the cls, obj, bbox and kps units read the shared units' output. Decoupled: a
    classification tower of `decoupled_tower_units` depthwise units feeds cls, a regression tower feeds
    obj, bbox and kps. The bbox unit gives 4 deltas or, with DFL, `4 (R + 1)` logits; the kps unit gives 2K
    offsets or, with SimCC, `2K N` logits.

    Args:
        config: the model architecture; the head reads `neck_channels`, `head_channels`,
            `num_shared_head_units`, `num_keypoints`, `strides` and the head, box and keypoint options.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        num_levels = len(config.strides)
        in_channels = config.neck_channels
        head_channels = config.head_channels
        branch_channels = head_channels if config.num_shared_head_units > 0 else in_channels
        self.shared_units = nn.ModuleList()
        for _ in range(num_levels):
            units = [
                DepthwiseUnit(in_channels if i == 0 else head_channels, head_channels)
                for i in range(config.num_shared_head_units)
            ]
            self.shared_units.append(nn.Sequential(*units))
        num_tower_units = config.decoupled_tower_units if config.head_kind == "decoupled" else 0
        # Empty towers (coupled head) are identities without parameters, so the state dict keeps official keys.
        self.cls_towers = _towers(branch_channels, num_tower_units, num_levels)
        self.reg_towers = _towers(branch_channels, num_tower_units, num_levels)

        self.box_decoder: DistributionDecoder | None = None
        box_channels = 4
        if config.box_branch == "dfl":
            self.box_decoder = DistributionDecoder(torch.arange(config.dfl_reg_max + 1))
            box_channels = 4 * (config.dfl_reg_max + 1)
        self.kps_decoder: DistributionDecoder | None = None
        kps_channels = 2 * config.num_keypoints
        if config.keypoint_branch == "simcc":
            bin_positions = torch.arange(config.num_simcc_bins) / config.simcc_split_ratio
            self.kps_decoder = DistributionDecoder(0.5 - config.simcc_max_offset + bin_positions)
            kps_channels *= config.num_simcc_bins

        self.cls_units = _branch_units(branch_channels, 1, num_levels)
        self.obj_units = _branch_units(branch_channels, 1, num_levels)
        self.bbox_units = _branch_units(branch_channels, box_channels, num_levels)
        self.kps_units = _branch_units(branch_channels, kps_channels, num_levels)

    @property
    def has_distributions(self) -> bool:
        """Whether the box or keypoint branch predicts distributions (DFL or SimCC)."""
        return self.box_decoder is not None or self.kps_decoder is not None

    def forward(self, features: list[torch.Tensor]) -> HeadOutputs | DistributionHeadOutputs:
        """Run every level of `features` (fine to coarse, each `(B, C, H_l, W_l)`).

        Returns:
            `HeadOutputs` when both the box and keypoint branches are direct, else `DistributionHeadOutputs`.
        """
        outputs = DistributionHeadOutputs(
            [], [], [], [], [] if self.box_decoder else None, [] if self.kps_decoder else None
        )
        for level, x in enumerate(features):
            x = self.shared_units[level](x)
            cls_features = self.cls_towers[level](x)
            reg_features = self.reg_towers[level](x)

            outputs.cls.append(flatten_level(self.cls_units[level](cls_features)))  # (B, H*W, 1)
            outputs.obj.append(flatten_level(self.obj_units[level](reg_features)))  # (B, H*W, 1)
            bbox = flatten_level(self.bbox_units[level](reg_features))  # (B, H*W, 4) or (B, H*W, 4(R+1))
            kps = flatten_level(self.kps_units[level](reg_features))  # (B, H*W, 2K) or (B, H*W, 2K N)

            if self.box_decoder is not None:
                distances_ltrb, bbox_logits = self.box_decoder(bbox)  # (B, H*W, 4), (B, H*W, 4, R+1)
                bbox = distances_to_deltas(distances_ltrb)
                outputs.bbox_logits.append(bbox_logits)  # type: ignore[union-attr]
            if self.kps_decoder is not None:
                kps, kps_logits = self.kps_decoder(kps)  # (B, H*W, 2K), (B, H*W, 2K, N)
                outputs.kps_logits.append(kps_logits)  # type: ignore[union-attr]
            outputs.bbox.append(bbox)
            outputs.kps.append(kps)
        return outputs if self.has_distributions else outputs.official()

    def fuse(self) -> None:
        """Fold every BatchNorm (shared units and towers), in place."""
        for stack in (*self.shared_units, *self.cls_towers, *self.reg_towers):
            for unit in stack:
                unit.fuse()
