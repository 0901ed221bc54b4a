"""The YuNet training loss: SimOTA targets, then BCE (cls, obj), EIoU (boxes) and smooth-L1 (keypoints).

Targets follow libfacedetection.train's YuNet head:
- classification: BCE on positive priors only, target = IoU of the prior's decoded box with its face;
- objectness: BCE on every prior, target 1 on positives and 0 elsewhere;
- boxes: EIoU between decoded boxes (from cell corners, as at inference) and face boxes, on positives;
- those three are summed over the batch and divided by the number of positives (at least 1, averaged over
  processes when `torch.distributed` is initialized);
- keypoints: offsets `((x - c s) / s, (y - r s) / s)` per positive prior, smooth-L1 weighted by the face's
  landmark weight (0 for a face without landmarks) and divided by the sum of those weights.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from yunet.models.head import HeadOutputs
from yunet.ops.decode import decode_boxes, encode_keypoints
from yunet.training.assigners.simota import SimOTAAssigner
from yunet.training.datasets import FaceTargets
from yunet.training.losses import eiou_loss, smooth_l1

_WEIGHT_EPS = torch.finfo(torch.float32).eps


class LossOutput(NamedTuple):
    """Weighted loss terms of one batch (each already multiplied by its weight) and their sum."""

    total: torch.Tensor
    cls: torch.Tensor
    obj: torch.Tensor
    bbox: torch.Tensor
    kps: torch.Tensor
    num_positives: int


class PositiveTargets(NamedTuple):
    """Targets of the positive priors of a batch, `N` positives over all images.

    Attributes:
        batch_index, prior_index: `(N,)` int64 position of each positive in `(B, P)`.
        iou: `(N,)` classification target.
        boxes: `(N, 4)` face boxes `x1, y1, x2, y2`.
        landmarks: `(N, 5, 2)` face landmarks in pixels.
        landmark_weights: `(N,)`.
    """

    batch_index: torch.Tensor
    prior_index: torch.Tensor
    iou: torch.Tensor
    boxes: torch.Tensor
    landmarks: torch.Tensor
    landmark_weights: torch.Tensor


class YuNetCriterion:
    """Loss of the original recipe.

    Args:
        assigner: the label assigner.
        cls_weight, obj_weight, bbox_weight, kps_weight: weights of the four terms.
        kps_beta: smooth-L1 transition point, in stride units.
    """

    def __init__(
        self,
        assigner: SimOTAAssigner,
        *,
        cls_weight: float = 1.0,
        obj_weight: float = 1.0,
        bbox_weight: float = 5.0,
        kps_weight: float = 0.1,
        kps_beta: float = 1.0 / 9.0,
    ) -> None:
        self.assigner = assigner
        self.cls_weight = cls_weight
        self.obj_weight = obj_weight
        self.bbox_weight = bbox_weight
        self.kps_weight = kps_weight
        self.kps_beta = kps_beta

    def __call__(self, outputs: HeadOutputs, priors: torch.Tensor, targets: list[FaceTargets]) -> LossOutput:
        """Compute the loss.

        Args:
            outputs: raw head outputs of the batch (per level or concatenated).
            priors: `(P, 3)` priors of the input size.
            targets: one entry per image, in input pixels.
        """
        joined = outputs.concat()
        cls_logits = joined.cls[0].squeeze(-1).float()  # (B, P)
        obj_logits = joined.obj[0].squeeze(-1).float()  # (B, P)
        bbox_deltas = joined.bbox[0].float()  # (B, P, 4)
        kps_offsets = joined.kps[0].float()  # (B, P, 2K)
        decoded = decode_boxes(bbox_deltas, priors)  # (B, P, 4)

        positives = self.assign(cls_logits, obj_logits, decoded, priors, targets)
        num_positives = positives.batch_index.numel()
        normalizer = self._normalizer(num_positives, cls_logits.device)
        positive_at = (positives.batch_index, positives.prior_index)

        obj_target = torch.zeros_like(obj_logits)
        obj_target[positive_at] = 1.0
        obj_loss = F.binary_cross_entropy_with_logits(obj_logits, obj_target, reduction="sum") / normalizer
        cls_loss = F.binary_cross_entropy_with_logits(cls_logits[positive_at], positives.iou, reduction="sum") / normalizer
        bbox_loss = eiou_loss(decoded[positive_at], positives.boxes).sum() / normalizer

        if num_positives:
            kps_target = encode_keypoints(positives.landmarks, priors[positives.prior_index])  # (N, 2K)
        else:
            # NOTE: encode_keypoints cannot reshape an empty (0, K, 2) tensor, so no positives is handled here.
            kps_target = kps_offsets.new_zeros((0, kps_offsets.shape[-1]))
        kps_elementwise = smooth_l1(kps_offsets[positive_at], kps_target, beta=self.kps_beta)  # (N, 2K)
        weights = positives.landmark_weights
        kps_loss = (kps_elementwise * weights[:, None]).sum() / (weights.sum() + _WEIGHT_EPS)

        terms = (
            self.cls_weight * cls_loss,
            self.obj_weight * obj_loss,
            self.bbox_weight * bbox_loss,
            self.kps_weight * kps_loss,
        )
        return LossOutput(sum(terms), *terms, num_positives=num_positives)  # type: ignore[arg-type]

    @torch.no_grad()
    def assign(
        self,
        cls_logits: torch.Tensor,
        obj_logits: torch.Tensor,
        decoded: torch.Tensor,
        priors: torch.Tensor,
        targets: list[FaceTargets],
    ) -> PositiveTargets:
        """Run the assigner on each image and gather the targets of all positive priors."""
        scores = cls_logits.sigmoid() * obj_logits.sigmoid()  # (B, P)
        pieces: list[list[torch.Tensor]] = [[] for _ in range(6)]
        for image_index, image_targets in enumerate(targets):
            result = self.assigner.assign(scores[image_index], priors, decoded[image_index].detach(), image_targets.boxes)
            prior_index = torch.nonzero(result.positive).squeeze(1)
            face_index = result.face_index[prior_index]
            pieces[0].append(torch.full_like(prior_index, image_index))
            pieces[1].append(prior_index)
            pieces[2].append(result.iou[prior_index])
            pieces[3].append(image_targets.boxes[face_index])
            pieces[4].append(image_targets.landmarks[face_index])
            pieces[5].append(image_targets.landmark_weights[face_index])
        return PositiveTargets(*(torch.cat(piece) for piece in pieces))

    @staticmethod
    def _normalizer(num_positives: int, device: torch.device) -> torch.Tensor:
        count = torch.tensor(float(num_positives), device=device)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(count)
            count = count / torch.distributed.get_world_size()
        return count.clamp(min=1.0)
