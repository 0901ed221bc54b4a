"""WIDER FACE evaluation with the official protocol (easy / medium / hard AP).

The protocol is the one of the official MATLAB evaluation and of its widely used Python port
(`widerface_evaluate` in RetinaFace / SCRFD):

- ground truth from `wider_face_val.mat` (all boxes, `x, y, w, h`) and, per difficulty, the indices of the
  boxes that count (`gt_list` in `wider_{easy,medium,hard}_val.mat`). The other boxes are ignored, so a
  prediction matching one of them is neither a true nor a false positive;
- scores normalized to [0, 1] over all predictions of the evaluated images (min-max);
- a prediction matches the ground-truth box of highest IoU, counted when that IoU is at least 0.5, with
  areas and intersections in inclusive integer pixels (`x2 - x1 + 1`), as the reference `bbox_overlaps`;
- a 1000-threshold PR curve summed over all images, precision = recalled faces / non-ignored predictions,
  recall = recalled faces / counted faces, and VOC-style AP (area under the monotone precision envelope).

When predictions cover only some images, `evaluate` restricts the protocol to those images: only their faces
are counted, and `WiderFaceResult.is_subset` is True.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yunet.errors import DatasetError

logger = logging.getLogger(__name__)

DIFFICULTIES = ("easy", "medium", "hard")
NUM_THRESHOLDS = 1000
IOU_THRESHOLD = 0.5


@dataclass(frozen=True)
class ImageGroundTruth:
    """Ground truth of one image.

    Attributes:
        boxes: `(G, 4)` float64 boxes `x, y, w, h` in pixels (every annotated face).
        counted: per difficulty, `(G,)` bool mask of the faces that count at that difficulty.
    """

    boxes: np.ndarray
    counted: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class WiderFaceGroundTruth:
    """Official val ground truth: `images[event][image_name]`, image names without `.jpg`."""

    images: Mapping[str, Mapping[str, ImageGroundTruth]]

    @property
    def num_images(self) -> int:
        """Number of images over all events."""
        return sum(len(per_event) for per_event in self.images.values())


@dataclass(frozen=True)
class WiderFaceResult:
    """AP per difficulty and the PR curves behind it.

    Attributes:
        ap: AP per difficulty (`"easy"`, `"medium"`, `"hard"`).
        pr_curves: per difficulty, `(1000, 2)` float64 rows `(precision, recall)`, from the highest score
            threshold (0.999) to the lowest (0.0).
        num_faces: counted faces per difficulty.
        num_images: images evaluated.
        num_images_total: images in the ground truth.
    """

    ap: Mapping[str, float]
    pr_curves: Mapping[str, np.ndarray] = field(repr=False)
    num_faces: Mapping[str, int]
    num_images: int
    num_images_total: int

    @property
    def recall(self) -> dict[str, float]:
        """Recall at IoU 0.5 with every prediction kept (the PR curve's last point), per difficulty."""
        return {difficulty: float(self.pr_curves[difficulty][-1, 1]) for difficulty in DIFFICULTIES}

    @property
    def is_subset(self) -> bool:
        """Whether only some of the ground-truth images were evaluated."""
        return self.num_images < self.num_images_total

    def summary(self) -> str:
        """Format one line per difficulty, after a subset notice when the protocol was restricted."""
        lines = []
        if self.is_subset:
            lines.append(
                f"SUBSET: {self.num_images} of {self.num_images_total} val images evaluated "
                "(official protocol restricted to these images and their faces; not comparable to full-set AP)"
            )
        for difficulty in DIFFICULTIES:
            lines.append(
                f"{difficulty:>6} AP: {self.ap[difficulty]:.4f}  recall@0.5: {self.recall[difficulty]:.4f}  "
                f"({self.num_faces[difficulty]} faces)"
            )
        return "\n".join(lines)


def _mat_string(cell: np.ndarray) -> str:
    return str(np.asarray(cell).reshape(-1)[0])


def load_ground_truth(gt_dir: str | Path) -> WiderFaceGroundTruth:
    """Load the official val ground truth from a folder holding `wider_face_val.mat` and
    `wider_{easy,medium,hard}_val.mat`.

    Raises:
        DatasetError: if a file is missing or does not have the official layout.
    """
    import scipy.io

    gt_dir = Path(gt_dir)
    paths = {"face": gt_dir / "wider_face_val.mat"} | {d: gt_dir / f"wider_{d}_val.mat" for d in DIFFICULTIES}
    for path in paths.values():
        if not path.is_file():
            raise DatasetError(
                f"WIDER FACE ground truth file not found: {path}; pass --gt the folder holding wider_face_val.mat "
                "and wider_{easy,medium,hard}_val.mat (the official eval_tools/ground_truth folder)"
            )
    face_mat = scipy.io.loadmat(paths["face"])
    gt_lists = {}
    for difficulty in DIFFICULTIES:
        mat = scipy.io.loadmat(paths[difficulty])
        if "gt_list" not in mat:
            raise DatasetError(f"{paths[difficulty]} has no gt_list; is it an official wider_*_val.mat file?")
        gt_lists[difficulty] = mat["gt_list"]
    try:
        event_list = face_mat["event_list"]
        file_list = face_mat["file_list"]
        box_list = face_mat["face_bbx_list"]
    except KeyError as error:
        raise DatasetError(f"{paths['face']} has no {error.args[0]}; is it the official wider_face_val.mat?") from None

    images: dict[str, dict[str, ImageGroundTruth]] = {}
    for event_index in range(len(event_list)):
        event = _mat_string(event_list[event_index][0])
        files = file_list[event_index][0]
        per_event: dict[str, ImageGroundTruth] = {}
        for image_index in range(len(files)):
            name = _mat_string(files[image_index][0])
            boxes = np.asarray(box_list[event_index][0][image_index][0], dtype=np.float64).reshape(-1, 4)
            counted = {}
            for difficulty in DIFFICULTIES:
                keep = np.asarray(gt_lists[difficulty][event_index][0][image_index][0], dtype=np.int64).reshape(-1)
                mask = np.zeros(len(boxes), dtype=bool)
                mask[keep - 1] = True  # MATLAB indices start at 1
                counted[difficulty] = mask
            per_event[name] = ImageGroundTruth(boxes=boxes, counted=counted)
        images[event] = per_event
    return WiderFaceGroundTruth(images=images)


def _box_overlaps(boxes: np.ndarray, query_boxes: np.ndarray) -> np.ndarray:
    """IoU of `(N, 4)` and `(M, 4)` corner boxes `x1, y1, x2, y2` with inclusive pixel areas, `(N, M)`."""
    box_areas = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    query_areas = (query_boxes[:, 2] - query_boxes[:, 0] + 1) * (query_boxes[:, 3] - query_boxes[:, 1] + 1)
    widths = np.minimum(boxes[:, None, 2], query_boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], query_boxes[None, :, 0]) + 1
    heights = np.minimum(boxes[:, None, 3], query_boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], query_boxes[None, :, 1]) + 1
    intersection = np.where((widths > 0) & (heights > 0), widths * heights, 0.0)
    union = box_areas[:, None] + query_areas[None, :] - intersection
    return intersection / union


def match_image(predictions: np.ndarray, gt_boxes: np.ndarray, counted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match one image's predictions, in decreasing score order, to its ground truth.

    Args:
        predictions: `(N, 5)` rows `x, y, w, h, score`, sorted by decreasing score.
        gt_boxes: `(G, 4)` boxes `x, y, w, h`.
        counted: `(G,)` bool, the faces that count at this difficulty.

    Returns:
        `(is_proposal, recalled)`. `is_proposal` is `(N,)` bool, False for a prediction whose best match is an
        ignored face. `recalled` is `(N,)` int64, the number of counted faces recalled by the first `n + 1`
        predictions.
    """
    num_predictions = len(predictions)
    is_proposal = np.ones(num_predictions, dtype=bool)
    recalled = np.zeros(num_predictions, dtype=np.int64)
    if num_predictions == 0 or len(gt_boxes) == 0:
        return is_proposal, recalled
    pred_corners = predictions[:, :4].copy()
    pred_corners[:, 2:] += pred_corners[:, :2]
    gt_corners = gt_boxes.copy()
    gt_corners[:, 2:] += gt_corners[:, :2]
    overlaps = _box_overlaps(pred_corners, gt_corners)  # (N, G)
    best_gt = overlaps.argmax(axis=1)
    best_iou = overlaps[np.arange(num_predictions), best_gt]
    matched = best_iou >= IOU_THRESHOLD
    is_proposal = ~(matched & ~counted[best_gt])
    # A counted face is recalled from its first matching prediction on, so the cumulative count of first
    # hits is the number of recalled faces after each prediction.
    hits = matched & counted[best_gt]
    first_hit = np.zeros(num_predictions, dtype=bool)
    hit_indices = np.flatnonzero(hits)
    if hit_indices.size:
        _, first = np.unique(best_gt[hit_indices], return_index=True)
        first_hit[hit_indices[first]] = True
    recalled = np.cumsum(first_hit)
    return is_proposal, recalled


def image_pr_counts(scores: np.ndarray, is_proposal: np.ndarray, recalled: np.ndarray) -> np.ndarray:
    """Count, for each of the 1000 thresholds `1 - (t + 1) / 1000`, the proposals and recalled faces of one
    image among predictions with a normalized score at or above the threshold.

    Args:
        scores: `(N,)` normalized scores in decreasing order.
        is_proposal, recalled: as returned by `match_image`.

    Returns:
        `(1000, 2)` float64 rows `(proposals, recalled faces)`.
    """
    thresholds = 1.0 - (np.arange(NUM_THRESHOLDS) + 1) / NUM_THRESHOLDS
    counts = np.zeros((NUM_THRESHOLDS, 2))
    if len(scores) == 0:
        return counts
    # Index of the last prediction scoring at or above each threshold (-1 if none), as the reference takes
    # `np.where(scores >= threshold)[0][-1]` on the image's prediction list.
    above = scores[None, :] >= thresholds[:, None]  # (T, N)
    any_above = above.any(axis=1)
    last = np.where(any_above, above.shape[1] - 1 - np.argmax(above[:, ::-1], axis=1), -1)
    cumulative_proposals = np.cumsum(is_proposal)
    counts[any_above, 0] = cumulative_proposals[last[any_above]]
    counts[any_above, 1] = recalled[last[any_above]]
    return counts


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC AP: area under the precision envelope (precision made non-increasing in recall)."""
    padded_recall = np.concatenate(([0.0], recall, [1.0]))
    padded_precision = np.concatenate(([0.0], precision, [0.0]))
    envelope = np.maximum.accumulate(padded_precision[::-1])[::-1]
    steps = np.flatnonzero(padded_recall[1:] != padded_recall[:-1])
    return float(np.sum((padded_recall[steps + 1] - padded_recall[steps]) * envelope[steps + 1]))


def normalize_scores(predictions: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
    """Min-max normalize the scores of all predictions to [0, 1] and sort each image's rows by decreasing
    score; returns new `(N, 5)` arrays."""
    all_scores = [rows[:, 4] for per_event in predictions.values() for rows in per_event.values() if len(rows)]
    if all_scores:
        stacked = np.concatenate(all_scores)
        low, high = float(stacked.min()), float(stacked.max())
    else:
        low, high = 0.0, 1.0
    scale = high - low if high > low else 1.0
    normalized: dict[str, dict[str, np.ndarray]] = {}
    for event, per_event in predictions.items():
        normalized[event] = {}
        for name, rows in per_event.items():
            rows = np.asarray(rows, dtype=np.float64).reshape(-1, 5).copy()
            rows[:, 4] = (rows[:, 4] - low) / scale
            order = np.argsort(-rows[:, 4], kind="stable")
            normalized[event][name] = rows[order]
    return normalized


def evaluate(
    predictions: Mapping[str, Mapping[str, np.ndarray]],
    ground_truth: WiderFaceGroundTruth,
    *,
    restrict_to_predicted: bool = True,
) -> WiderFaceResult:
    """Score predictions with the official protocol.

    Args:
        predictions: `predictions[event][image_name]` = `(N, 5)` rows `x, y, w, h, score` (pixels of the
            original image, any score range); image names without `.jpg`.
        ground_truth: from `load_ground_truth`.
        restrict_to_predicted: count only the faces of images that have a predictions entry (an empty array
            is an entry). With False, every ground-truth image counts and missing ones score as no detections.

    Returns:
        The AP per difficulty with its PR curves.

    Raises:
        DatasetError: if a predicted image is not in the ground truth.
    """
    for event, per_event in predictions.items():
        for name in per_event:
            if event not in ground_truth.images or name not in ground_truth.images[event]:
                raise DatasetError(
                    f"predictions for {event}/{name} have no ground truth; check the event folder and image name "
                    "(the name without .jpg)"
                )
    normalized = normalize_scores(predictions)
    pr_counts = {d: np.zeros((NUM_THRESHOLDS, 2)) for d in DIFFICULTIES}
    num_faces = dict.fromkeys(DIFFICULTIES, 0)
    num_images = 0
    empty = np.zeros((0, 5))
    for event, per_event_gt in ground_truth.images.items():
        for name, image_gt in per_event_gt.items():
            has_entry = name in normalized.get(event, {})
            if restrict_to_predicted and not has_entry:
                continue
            num_images += 1
            rows = normalized[event][name] if has_entry else empty
            for difficulty in DIFFICULTIES:
                counted = image_gt.counted[difficulty]
                num_faces[difficulty] += int(counted.sum())
                if len(image_gt.boxes) == 0 or len(rows) == 0:
                    continue
                is_proposal, recalled = match_image(rows, image_gt.boxes, counted)
                pr_counts[difficulty] += image_pr_counts(rows[:, 4], is_proposal, recalled)

    ap: dict[str, float] = {}
    pr_curves: dict[str, np.ndarray] = {}
    for difficulty in DIFFICULTIES:
        proposals, recalled = pr_counts[difficulty][:, 0], pr_counts[difficulty][:, 1]
        # No proposal above a threshold means no recalled face either, so precision 0 there is exact.
        precision = np.divide(recalled, proposals, out=np.zeros_like(recalled), where=proposals > 0)
        recall = recalled / max(num_faces[difficulty], 1)
        pr_curves[difficulty] = np.stack([precision, recall], axis=1)
        ap[difficulty] = voc_ap(recall, precision)
    result = WiderFaceResult(
        ap=ap, pr_curves=pr_curves, num_faces=num_faces, num_images=num_images, num_images_total=ground_truth.num_images
    )
    if result.is_subset:
        logger.info("evaluated a subset: %d of %d images", result.num_images, result.num_images_total)
    return result
