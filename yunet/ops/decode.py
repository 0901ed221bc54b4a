"""Decoding of YuNet head outputs into boxes, landmarks and scores.

Shape vocabulary used across `yunet`: `B` batch, `P` priors over all levels, `G` ground-truth faces per
image, `K` keypoints (5), `H`/`W` input height/width in pixels.

For a prior at grid column `c`, row `r` of a level with stride `s` and raw box `(dx, dy, dw, dh)`, the box
is `cx = (c + dx) s`, `cy = (r + dy) s`, `w = exp(dw) s`, `h = exp(dh) s`. Keypoint k is
`((c + kx_k) s, (r + ky_k) s)`. The score is `sqrt(clamp(sigmoid(cls), 0, 1) * clamp(sigmoid(obj), 0, 1))`.
These are the official libfacedetection / OpenCV `FaceDetectorYN` formulas.
"""

from __future__ import annotations

import torch


def decode_boxes_xywh(bbox_deltas: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """Decode `(..., P, 4)` deltas into `(..., P, 4)` boxes `x, y, w, h` (top-left corner and size) in input
    pixels, with OpenCV's float32 operation order.

    `priors` is `(P, 3)` as made by `yunet.ops.priors.make_priors`.
    """
    col, row, stride = priors[:, 0], priors[:, 1], priors[:, 2]
    cx = (col + bbox_deltas[..., 0]) * stride
    cy = (row + bbox_deltas[..., 1]) * stride
    w = torch.exp(bbox_deltas[..., 2]) * stride
    h = torch.exp(bbox_deltas[..., 3]) * stride
    return torch.stack([cx - w / 2, cy - h / 2, w, h], dim=-1)


def decode_boxes(bbox_deltas: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """Decode `(..., P, 4)` deltas into `(..., P, 4)` boxes `x1, y1, x2, y2` in input pixels."""
    boxes_xywh = decode_boxes_xywh(bbox_deltas, priors)
    return torch.cat([boxes_xywh[..., :2], boxes_xywh[..., :2] + boxes_xywh[..., 2:]], dim=-1)


def decode_keypoints(kps_offsets: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """Decode `(..., P, 2K)` offsets into `(..., P, K, 2)` landmark points `(x, y)` in input pixels."""
    offsets = kps_offsets.reshape(*kps_offsets.shape[:-1], kps_offsets.shape[-1] // 2, 2)  # (..., P, K, 2)
    corner = priors[:, None, :2]  # (P, 1, 2)
    stride = priors[:, None, 2:3]
    return (offsets + corner) * stride


def encode_keypoints(points: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """Inverse of `decode_keypoints`: `(..., P, K, 2)` pixel points to `(..., P, 2K)` stride-unit offsets."""
    corner = priors[:, None, :2]
    stride = priors[:, None, 2:3]
    offsets = points / stride - corner
    return offsets.reshape(*offsets.shape[:-2], offsets.shape[-2] * offsets.shape[-1])  # -1 fails when P = 0


def face_scores(cls_probs: torch.Tensor, obj_probs: torch.Tensor) -> torch.Tensor:
    """Combine class and objectness probabilities (already through a sigmoid), `(..., P, 1)` each, into
    `(..., P)` scores `sqrt(cls * obj)` in [0, 1]."""
    return torch.sqrt(cls_probs.clamp(0, 1) * obj_probs.clamp(0, 1)).squeeze(-1)
