"""Elementary losses of the original YuNet recipe: Extended-IoU for boxes, smooth-L1 for keypoints.

Binary cross-entropy for classification and objectness is `torch.nn.functional.binary_cross_entropy_with_logits`.
"""

from __future__ import annotations

import torch

from yunet.ops.boxes import box_area


def extended_iou(predicted: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Extended IoU of corresponding boxes, `(..., 4)` and `(..., 4)` `x1, y1, x2, y2` to `(...)`.

    The extended intersection equals the usual one when the boxes overlap and turns negative when they do
    not, so the loss keeps a gradient that pulls apart boxes together. With `e` the corner of the enclosing
    box, `i1`/`i2` the corners of the (possibly inverted) intersection and `lo`/`hi` their per-axis min/max:
    `I = (i2 - e)_x (i2 - e)_y + (lo - e)_x (lo - e)_y - (i1 - e)_x (hi - e)_y - (hi - e)_x (i1 - e)_y`.
    Reference: the EIoU loss of YuNet (W. Wu, H. Peng, S. Yu, 2023), not the Efficient-IoU loss.
    """
    enclosing = torch.minimum(predicted[..., :2], target[..., :2])
    inner1 = torch.maximum(predicted[..., :2], target[..., :2]) - enclosing
    inner2 = torch.minimum(predicted[..., 2:], target[..., 2:]) - enclosing
    low = torch.minimum(inner1, inner2)
    high = torch.maximum(inner1, inner2)
    intersection = (
        inner2[..., 0] * inner2[..., 1]
        + low[..., 0] * low[..., 1]
        - inner1[..., 0] * high[..., 1]
        - high[..., 0] * inner1[..., 1]
    )
    union = box_area(predicted) + box_area(target) - intersection + eps
    return intersection / union


def eiou_loss(predicted: torch.Tensor, target: torch.Tensor, *, smooth_point: float = 0.1) -> torch.Tensor:
    """Per-box EIoU loss, `(N, 4)` and `(N, 4)` to `(N,)`.

    With `x = 1 - extended_iou`, the loss is `0.5 x^2 / smooth_point` below `smooth_point` and
    `x - 0.5 smooth_point` above, continuous with a continuous slope.
    """
    distance = 1 - extended_iou(predicted, target)
    return torch.where(distance < smooth_point, 0.5 * distance**2 / smooth_point, distance - 0.5 * smooth_point)


def smooth_l1(predicted: torch.Tensor, target: torch.Tensor, *, beta: float) -> torch.Tensor:
    """Elementwise smooth-L1 (Huber divided by beta): `0.5 d^2 / beta` below `beta`, `d - 0.5 beta` above."""
    difference = (predicted - target).abs()
    return torch.where(difference < beta, 0.5 * difference**2 / beta, difference - 0.5 * beta)
