"""Greedy non-maximum suppression, vectorized in torch (no torchvision).

Two overlap measures are offered:
- `nms`: IoU of float `x1, y1, x2, y2` boxes, as torchvision's `nms`.
- `nms_opencv`: the measure of OpenCV's `FaceDetectorYN` (4.x and 5.x), which runs `cv::dnn::NMSBoxes` on
  boxes truncated to integers (`Rect2i(int(x), int(y), int(w), int(h))`) while returning the float boxes.
  On dense crowds the two keep slightly different sets, so parity with OpenCV needs this one.

Both return the indices of kept boxes sorted by decreasing score (ties keep input order, like OpenCV's
stable sort), and both apply `top_k` to the candidates *before* suppression, as OpenCV does.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from yunet.ops.boxes import box_iou

_BLOCK_SIZE = 2048  # candidates resolved together; bounds the IoU matrices to _BLOCK_SIZE**2 entries

OverlapFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _greedy_keep_within(suppresses: torch.Tensor) -> torch.Tensor:
    """Solve greedy NMS inside one score-sorted block.

    `suppresses[i, j]` (i < j) is True when box i would remove box j. Greedy NMS keeps j exactly when no
    kept earlier box suppresses it. That rule has one fixed point, reached by iterating from "keep all":
    after t rounds the first t boxes are final, and in practice a few rounds suffice.
    """
    suppresses = suppresses.triu(diagonal=1).float()
    keep = torch.ones(suppresses.shape[0], dtype=torch.bool, device=suppresses.device)
    while True:
        new_keep = (keep.float() @ suppresses) == 0
        if torch.equal(new_keep, keep):
            return keep
        keep = new_keep


def _greedy_nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float, top_k: int | None, overlap: OverlapFn) -> torch.Tensor:
    order = torch.sort(scores, descending=True, stable=True).indices
    if top_k is not None and top_k >= 0:
        order = order[:top_k]
    sorted_boxes = boxes[order]
    kept_positions: list[torch.Tensor] = []
    kept_boxes = sorted_boxes[:0]
    for start in range(0, order.numel(), _BLOCK_SIZE):
        block = sorted_boxes[start : start + _BLOCK_SIZE]
        # Boxes already kept in earlier blocks come first in score order.
        alive = (overlap(kept_boxes, block) > iou_threshold).sum(dim=0) == 0 if kept_boxes.numel() else torch.ones(
            block.shape[0], dtype=torch.bool, device=block.device
        )
        alive_positions = torch.nonzero(alive).squeeze(1)
        candidates = block[alive_positions]
        keep = _greedy_keep_within(overlap(candidates, candidates) > iou_threshold)
        positions = alive_positions[keep] + start
        kept_positions.append(positions)
        kept_boxes = torch.cat([kept_boxes, sorted_boxes[positions]])
    if not kept_positions:
        return order[:0]
    return order[torch.cat(kept_positions)]


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float, *, top_k: int | None = None) -> torch.Tensor:
    """Greedy NMS on float boxes.

    Args:
        boxes: `(N, 4)` boxes `x1, y1, x2, y2`.
        scores: `(N,)` scores.
        iou_threshold: a box is removed when its IoU with a kept, higher-scored box is above this.
        top_k: keep only the `top_k` highest-scored candidates before suppression (None: all).

    Returns:
        int64 `(M,)` indices into `boxes`, by decreasing score.
    """
    return _greedy_nms(boxes, scores, iou_threshold, top_k, box_iou)


def _truncated_rect_overlap(rects1: torch.Tensor, rects2: torch.Tensor) -> torch.Tensor:
    """Pairwise overlap of integer `(x, y, w, h)` rects as `cv::dnn::NMSBoxes` computes it for `Rect2i`:
    `1 - float(1 - intersection / union)`, with the ratio in float64 and overlap 1 for two empty rects."""
    area1 = rects1[:, 2] * rects1[:, 3]
    area2 = rects2[:, 2] * rects2[:, 3]
    left = torch.maximum(rects1[:, None, 0], rects2[None, :, 0])
    top = torch.maximum(rects1[:, None, 1], rects2[None, :, 1])
    right = torch.minimum((rects1[:, 0] + rects1[:, 2])[:, None], (rects2[:, 0] + rects2[:, 2])[None, :])
    bottom = torch.minimum((rects1[:, 1] + rects1[:, 3])[:, None], (rects2[:, 1] + rects2[:, 3])[None, :])
    width = right - left
    height = bottom - top
    intersection = torch.where((width > 0) & (height > 0), width * height, torch.zeros_like(width)).double()
    area_sum = (area1[:, None] + area2[None, :]).double()
    union = area_sum - intersection
    jaccard_distance = torch.where(area_sum > 0, 1.0 - intersection / union.clamp(min=1), torch.zeros_like(union))
    return 1.0 - jaccard_distance.float()


def nms_opencv(
    boxes_xywh: torch.Tensor, scores: torch.Tensor, iou_threshold: float, *, top_k: int | None = None
) -> torch.Tensor:
    """Greedy NMS with OpenCV `FaceDetectorYN`'s overlap: boxes truncated toward zero to integer
    `(x, y, w, h)`.

    Args:
        boxes_xywh: `(N, 4)` float boxes `x, y, w, h` (top-left corner and size), exactly as decoded; the
            truncation happens here.
        scores: `(N,)` scores.
        iou_threshold: a box is removed when its overlap with a kept, higher-scored box is above this.
        top_k: keep only the `top_k` highest-scored candidates before suppression (None: all).

    Returns:
        int64 `(M,)` indices into `boxes_xywh`, by decreasing score.
    """
    rects = torch.trunc(boxes_xywh.double()).long()
    threshold = float(torch.tensor(iou_threshold, dtype=torch.float32))
    return _greedy_nms(rects, scores, threshold, top_k, _truncated_rect_overlap)
