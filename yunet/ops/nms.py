"""Greedy non-maximum suppression, vectorized in torch (no torchvision).

Two overlap measures are offered:
- `nms`: IoU of float `x1, y1, x2, y2` boxes, as torchvision's `nms`.
- `nms_opencv`: the measure of OpenCV's `FaceDetectorYN` (4.x and 5.x), which runs `cv::dnn::NMSBoxes` on
  boxes truncated to integers (`Rect2i(int(x), int(y), int(w), int(h))`) while returning the float boxes.
  On dense crowds the two keep slightly different sets, so parity with OpenCV needs this one.

Both return the indices of kept boxes sorted by decreasing score (ties keep input order, like OpenCV's
stable sort), and both apply `top_k` to the candidates *before* suppression, as OpenCV does.

Only pairs of boxes that intersect can suppress each other (for a threshold >= 0), so the pairs are found
with a sweep over boxes sorted by `x1` instead of a dense `N x N` overlap matrix: on a crowd photo with
3,364 candidates that is 13,586 pairs instead of eleven million. The pair work runs in NumPy, whose small
element-wise operations stay on one thread and so do not stall when the CPU is shared.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

_BLOCK_SIZE = 2048  # sweep positions whose candidate pairs are built together; bounds peak memory

PairOverlapFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _intersecting_pairs(boxes_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Find every pair of boxes with a positive-area intersection.

    Boxes are cut into horizontal strips about twice the median box height, each box entering every strip it
    touches, and a sweep along x runs inside each strip. A pair is taken only in the first strip both boxes
    touch, so it is found once. On dense crowds this tests far fewer pairs than one sweep over the image.

    Args:
        boxes_xyxy: `(N, 4)` boxes `x1, y1, x2, y2` (float or integer).

    Returns:
        Two int64 `(E,)` arrays `first < second` of indices into `boxes_xyxy`, one entry per pair.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(boxes_xyxy) < 2:
        return empty, empty
    x1, y1, x2, y2 = (boxes_xyxy[:, i].astype(np.float64) for i in range(4))
    strip_height = max(2.0 * float(np.median(y2 - y1)), 1.0)
    first_strip = np.floor((y1 - y1.min()) / strip_height).astype(np.int64)
    last_strip = np.maximum(np.floor((y2 - y1.min()) / strip_height).astype(np.int64), first_strip)
    strips_per_box = last_strip - first_strip + 1
    # One entry per (box, strip) it touches, keyed so that strips come one after another along one axis.
    entry_box = np.repeat(np.arange(len(boxes_xyxy)), strips_per_box)
    entry_strip = first_strip[entry_box] + (
        np.arange(entry_box.size) - np.repeat(np.cumsum(strips_per_box) - strips_per_box, strips_per_box)
    )
    span = float(x2.max() - x1.min()) + 1.0
    origin = x1.min()
    order = np.argsort(entry_strip * span + (x1[entry_box] - origin), kind="stable")
    entry_box, entry_strip = entry_box[order], entry_strip[order]
    starts = entry_strip * span + (x1[entry_box] - origin)
    # The entry at sweep position p can only meet the entries after it, in its strip, whose x1 is below its x2.
    ends = np.searchsorted(starts, entry_strip * span + (x2[entry_box] - origin), side="left")
    positions = np.arange(entry_box.size)
    counts = np.maximum(ends - positions - 1, 0)
    firsts: list[np.ndarray] = [empty]
    seconds: list[np.ndarray] = [empty]
    for start in range(0, entry_box.size, _BLOCK_SIZE):
        block_counts = counts[start : start + _BLOCK_SIZE]
        total = int(block_counts.sum())
        if total == 0:
            continue
        source = np.repeat(positions[start : start + _BLOCK_SIZE], block_counts)
        # Offsets 1, 2, ..., count within each source's run.
        run_starts = np.cumsum(block_counts) - block_counts
        offsets = np.arange(total) - np.repeat(run_starts, block_counts) + 1
        first, second = entry_box[source], entry_box[source + offsets]
        meets = (
            (np.minimum(x2[first], x2[second]) > np.maximum(x1[first], x1[second]))
            & (np.minimum(y2[first], y2[second]) > np.maximum(y1[first], y1[second]))
            & (entry_strip[source] == np.maximum(first_strip[first], first_strip[second]))
        )
        first, second = first[meets], second[meets]
        firsts.append(np.minimum(first, second))
        seconds.append(np.maximum(first, second))
    return np.concatenate(firsts), np.concatenate(seconds)


def _resolve_greedy(num_boxes: int, suppressors: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """Solve greedy NMS given its suppression edges, in score order.

    Edge `e` means that box `suppressors[e]` removes box `suppressed[e]` if it is kept (always
    `suppressors[e] < suppressed[e]`). Greedy NMS keeps j exactly when no kept earlier box suppresses it. That
    rule has one fixed point, reached by iterating from "keep all": after t rounds the first t boxes are final,
    and in practice a few rounds suffice.

    Returns:
        bool `(num_boxes,)` mask of kept boxes.
    """
    keep = np.ones(num_boxes, dtype=bool)
    while True:
        new_keep = np.ones(num_boxes, dtype=bool)
        new_keep[suppressed[keep[suppressors]]] = False
        if np.array_equal(new_keep, keep):
            return keep
        keep = new_keep


def _greedy_nms(
    boxes: np.ndarray,
    boxes_xyxy: np.ndarray,
    scores: torch.Tensor,
    iou_threshold: float,
    top_k: int | None,
    pair_overlap: PairOverlapFn,
    extra_edges: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> torch.Tensor:
    """Run greedy NMS; `extra_edges` adds suppression edges of overlap 1 between boxes that do not intersect."""
    order = torch.sort(scores, descending=True, stable=True).indices
    if top_k is not None and top_k >= 0:
        order = order[:top_k]
    if order.numel() == 0:
        return order
    if iou_threshold < 0:
        return order[:1]  # every overlap, even 0, is above the threshold
    order_array = order.cpu().numpy()
    sorted_boxes = boxes[order_array]
    first, second = _intersecting_pairs(boxes_xyxy[order_array])  # positions in score order
    above = pair_overlap(sorted_boxes[first], sorted_boxes[second]) > iou_threshold
    suppressors, suppressed = first[above], second[above]
    if extra_edges is not None and 1.0 > iou_threshold:
        more_suppressors, more_suppressed = extra_edges(sorted_boxes)
        suppressors = np.concatenate([suppressors, more_suppressors])
        suppressed = np.concatenate([suppressed, more_suppressed])
    keep = _resolve_greedy(order_array.size, suppressors, suppressed)
    return order[torch.from_numpy(keep).to(order.device)]


def _pair_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU of corresponding float boxes with a positive intersection, in `box_iou`'s operation order."""
    area1 = np.maximum(boxes1[:, 2] - boxes1[:, 0], 0) * np.maximum(boxes1[:, 3] - boxes1[:, 1], 0)
    area2 = np.maximum(boxes2[:, 2] - boxes2[:, 0], 0) * np.maximum(boxes2[:, 3] - boxes2[:, 1], 0)
    top_left = np.maximum(boxes1[:, :2], boxes2[:, :2])
    bottom_right = np.minimum(boxes1[:, 2:], boxes2[:, 2:])
    size = np.maximum(bottom_right - top_left, 0)
    intersection = size[:, 0] * size[:, 1]
    union = area1 + area2 - intersection
    return intersection / union


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
    boxes_array = boxes.detach().cpu().numpy()
    return _greedy_nms(boxes_array, boxes_array, scores, iou_threshold, top_k, _pair_iou)


def _pair_rect_overlap(rects1: np.ndarray, rects2: np.ndarray) -> np.ndarray:
    """Overlap of corresponding intersecting integer `(x, y, w, h)` rects as `cv::dnn::NMSBoxes` computes it
    for `Rect2i`: `1 - float(1 - intersection / union)`, with the ratio in float64."""
    area1 = rects1[:, 2] * rects1[:, 3]
    area2 = rects2[:, 2] * rects2[:, 3]
    width = np.minimum(rects1[:, 0] + rects1[:, 2], rects2[:, 0] + rects2[:, 2]) - np.maximum(rects1[:, 0], rects2[:, 0])
    height = np.minimum(rects1[:, 1] + rects1[:, 3], rects2[:, 1] + rects2[:, 3]) - np.maximum(rects1[:, 1], rects2[:, 1])
    intersection = (width * height).astype(np.float64)
    union = (area1 + area2).astype(np.float64) - intersection
    jaccard_distance = 1.0 - intersection / union
    return np.float32(1.0) - jaccard_distance.astype(np.float32)


def _empty_rect_edges(rects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges between score-sorted empty rects: OpenCV gives two empty rects overlap 1 wherever they are, so the
    first empty rect (never suppressed, since an empty rect overlaps a non-empty one by 0) removes the others."""
    empty = np.flatnonzero(rects[:, 2] * rects[:, 3] == 0)
    if empty.size < 2:
        return empty[:0], empty[:0]
    return np.full(empty.size - 1, empty[0]), empty[1:]


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
    rects = np.trunc(boxes_xywh.detach().cpu().double().numpy()).astype(np.int64)
    rects_xyxy = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
    threshold = float(torch.tensor(iou_threshold, dtype=torch.float32))
    return _greedy_nms(rects, rects_xyxy, scores, threshold, top_k, _pair_rect_overlap, _empty_rect_edges)
