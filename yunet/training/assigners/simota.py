"""SimOTA label assignment (YOLOX, Ge et al. 2021), as libfacedetection.train trains YuNet with it.

For one image, each (prior, face) pair gets a cost. It is the BCE of the inference score `sqrt(cls * obj)`
against 1, plus `iou_weight * -log(IoU)` of the prior's decoded box with the face. A huge cost is added
unless the prior's cell centre lies both inside the face and within `center_radius` strides of its centre.
Candidates are the priors inside a face or inside a centre region. Each face takes its `k` cheapest
candidates, where `k` is the sum of its top-10 candidate IoUs truncated to an integer (at least 1). A prior
taken by several faces goes to the one of lowest cost. Every step is a tensor operation over all candidate
priors and faces at once.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from yunet.ops.boxes import box_iou

_OUTSIDE_COST = 1e8
_LOG_EPS = 1e-7
_MAX_BCE = 100.0  # torch's binary_cross_entropy clamps log() at -100


class AssignResult(NamedTuple):
    """Assignment of one image's priors.

    Attributes:
        positive: `(P,)` bool, priors that learn a face.
        face_index: `(P,)` int64, the assigned face of each positive prior (-1 elsewhere).
        iou: `(P,)` IoU of each positive prior's decoded box with its face (0 elsewhere).
    """

    positive: torch.Tensor
    face_index: torch.Tensor
    iou: torch.Tensor


class SimOTAAssigner:
    """SimOTA with the cost of the original YuNet head.

    Args:
        center_radius: half side of the centre region around each face centre, in strides of the prior's level.
        candidate_topk: number of top IoUs summed into each face's dynamic k.
        cls_weight: weight of the classification cost.
        iou_weight: weight of the `-log(IoU)` cost.
    """

    def __init__(self, *, center_radius: float = 2.5, candidate_topk: int = 10, cls_weight: float = 1.0, iou_weight: float = 3.0) -> None:
        self.center_radius = center_radius
        self.candidate_topk = candidate_topk
        self.cls_weight = cls_weight
        self.iou_weight = iou_weight

    @torch.no_grad()
    def assign(
        self, scores: torch.Tensor, priors: torch.Tensor, decoded_boxes: torch.Tensor, gt_boxes: torch.Tensor
    ) -> AssignResult:
        """Assign the priors of one image.

        Args:
            scores: `(P,)` `sigmoid(cls) * sigmoid(obj)` of each prior, in [0, 1].
            priors: `(P, 3)` rows `(c, r, stride)` from `make_priors`; geometry uses the cell centres
                `((c + 0.5) stride, (r + 0.5) stride)`.
            decoded_boxes: `(P, 4)` predicted boxes `x1, y1, x2, y2` in input pixels.
            gt_boxes: `(G, 4)` face boxes `x1, y1, x2, y2` in input pixels.
        """
        num_priors = priors.shape[0]
        device = priors.device
        positive = torch.zeros(num_priors, dtype=torch.bool, device=device)
        face_index = torch.full((num_priors,), -1, dtype=torch.long, device=device)
        assigned_iou = torch.zeros(num_priors, dtype=decoded_boxes.dtype, device=device)
        if gt_boxes.shape[0] == 0 or num_priors == 0:
            return AssignResult(positive, face_index, assigned_iou)

        in_box, in_center = self._geometry(priors, gt_boxes)  # (P, G) each
        candidate = (in_box | in_center).any(dim=1)  # (P,)
        candidate_index = torch.nonzero(candidate).squeeze(1)
        if candidate_index.numel() == 0:
            return AssignResult(positive, face_index, assigned_iou)

        ious = box_iou(decoded_boxes[candidate_index], gt_boxes)  # (C, G)
        cost = self._cost(scores[candidate_index], ious, in_box[candidate_index] & in_center[candidate_index])
        matching = self._dynamic_k_matching(cost, ious)  # (C, G) bool, at most one True per row

        matched = matching.any(dim=1)
        matched_face = matching.float().argmax(dim=1)
        prior_index = candidate_index[matched]
        positive[prior_index] = True
        face_index[prior_index] = matched_face[matched]
        assigned_iou[prior_index] = ious[matched, matched_face[matched]]
        return AssignResult(positive, face_index, assigned_iou)

    def _geometry(self, priors: torch.Tensor, gt_boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        stride = priors[:, 2:3]  # (P, 1)
        center_x = (priors[:, 0:1] + 0.5) * stride
        center_y = (priors[:, 1:2] + 0.5) * stride
        in_box = (
            (center_x > gt_boxes[None, :, 0])
            & (center_y > gt_boxes[None, :, 1])
            & (center_x < gt_boxes[None, :, 2])
            & (center_y < gt_boxes[None, :, 3])
        )  # (P, G)
        face_center_x = (gt_boxes[:, 0] + gt_boxes[:, 2]) / 2
        face_center_y = (gt_boxes[:, 1] + gt_boxes[:, 3]) / 2
        radius = self.center_radius * stride
        in_center = ((center_x - face_center_x[None]).abs() < radius) & ((center_y - face_center_y[None]).abs() < radius)
        return in_box, in_center

    def _cost(self, scores: torch.Tensor, ious: torch.Tensor, in_box_and_center: torch.Tensor) -> torch.Tensor:
        # BCE(sqrt(score), 1) = -log(sqrt(score)), clamped as torch's BCE does.
        cls_cost = (-torch.log(scores.clamp(min=0).sqrt())).clamp(max=_MAX_BCE)  # (C,)
        iou_cost = -torch.log(ious + _LOG_EPS)  # (C, G)
        return self.cls_weight * cls_cost[:, None] + self.iou_weight * iou_cost + _OUTSIDE_COST * (~in_box_and_center)

    def _dynamic_k_matching(self, cost: torch.Tensor, ious: torch.Tensor) -> torch.Tensor:
        num_candidates, num_faces = cost.shape
        topk = min(self.candidate_topk, num_candidates)
        dynamic_k = ious.topk(topk, dim=0).values.sum(dim=0).int().clamp(min=1)  # (G,)
        max_k = int(dynamic_k.max())
        cheapest = cost.topk(max_k, dim=0, largest=False).indices  # (max_k, G), cheapest first
        take = torch.arange(max_k, device=cost.device)[:, None] < dynamic_k[None, :]  # (max_k, G)
        matching = torch.zeros_like(cost, dtype=torch.bool)
        face_columns = torch.arange(num_faces, device=cost.device).expand(max_k, num_faces)
        matching[cheapest[take], face_columns[take]] = True

        # A prior taken by several faces goes to the face of lowest cost (over all faces, as in YOLOX).
        shared = matching.sum(dim=1) > 1
        if shared.any():
            cheapest_face = cost[shared].argmin(dim=1)
            matching[shared] = False
            matching[torch.nonzero(shared).squeeze(1), cheapest_face] = True
        return matching
