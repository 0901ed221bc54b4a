"""Evaluation on a labelv2-annotated image set (for example a small training set), with every face counted.

The WIDER FACE protocol runs unchanged on ground truth built from the annotation file: each image is keyed by
its folder and file name, and all its faces count at every difficulty, so easy, medium and hard agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from yunet.eval.widerface import DIFFICULTIES, ImageGroundTruth, WiderFaceGroundTruth
from yunet.training.annotations import read_labelv2


def ground_truth_from_labelv2(annotation_path: str | Path, images_dir: str | Path) -> tuple[WiderFaceGroundTruth, list[Path]]:
    """Build ground truth from a labelv2 file; returns it with the image paths in file order."""
    records = read_labelv2(annotation_path, images_dir)
    images: dict[str, dict[str, ImageGroundTruth]] = {}
    for record in records:
        xywh = record.boxes.astype(np.float64).copy()
        xywh[:, 2:] -= xywh[:, :2]
        counted = np.ones(len(xywh), dtype=bool)
        images.setdefault(record.image_path.parent.name, {})[record.image_path.stem] = ImageGroundTruth(
            boxes=xywh, counted=dict.fromkeys(DIFFICULTIES, counted)
        )
    return WiderFaceGroundTruth(images=images), [record.image_path for record in records]
