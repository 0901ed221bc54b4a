"""Tests of the YuNet training loss against the official weights and hand-made targets."""

from __future__ import annotations

import pytest
import torch
from conftest import require_asset

from thread_limits import single_torch_thread  # noqa: F401  (autouse)

from yunet.config import yunet_n_config
from yunet.models import YuNet
from yunet.ops.priors import make_priors
from yunet.training.annotations import read_labelv2
from yunet.training.assigners import SimOTAAssigner
from yunet.training.criterion import YuNetCriterion
from yunet.training.datasets import FaceDataset, FaceTargets, collate_batch
from yunet.weights import load_official_checkpoint



def _mini_batch(input_size: int = 320):
    root = require_asset("mini-widerface")
    records = [record for record in read_labelv2(root / "labelv2.txt", root / "images") if record.num_faces][:6]
    dataset = FaceDataset(records, input_size=input_size, crop_scales=(1.0,), flip_probability=0.0, seed=0)
    return collate_batch([dataset[index] for index in range(len(dataset))])


def test_official_weights_lower_loss(official_weights) -> None:
    batch = _mini_batch()
    priors = make_priors(320, 320, (8, 16, 32))
    criterion = YuNetCriterion(SimOTAAssigner())
    official = load_official_checkpoint(official_weights["yunet-n"]).eval()
    torch.manual_seed(0)
    random_model = YuNet(yunet_n_config()).eval()
    with torch.no_grad():
        official_loss = criterion(official(batch.images), priors, batch.targets)
        random_loss = criterion(random_model(batch.images), priors, batch.targets)
    # Measured: about 2 for the official weights and over 100 for a random initialization.
    assert official_loss.total.item() < 5.0
    assert random_loss.total.item() > 10 * official_loss.total.item()
    assert official_loss.num_positives > 0


def test_faces_without_landmarks_train_boxes() -> None:
    torch.manual_seed(0)
    model = YuNet(yunet_n_config()).train()
    priors = make_priors(64, 64, (8, 16, 32))
    targets = [
        FaceTargets(
            boxes=torch.tensor([[8.0, 8.0, 40.0, 40.0]]),
            landmarks=torch.full((1, 5, 2), -1.0),
            landmark_weights=torch.zeros(1),
        )
    ]
    losses = YuNetCriterion(SimOTAAssigner())(model(torch.rand(1, 3, 64, 64) * 255), priors, targets)
    assert losses.num_positives > 0
    assert losses.bbox.item() > 0
    assert losses.cls.item() > 0
    assert losses.kps.item() == 0.0
    losses.total.backward()
    assert all(torch.isfinite(parameter.grad).all() for parameter in model.parameters() if parameter.grad is not None)


def test_image_without_faces_only_objectness() -> None:
    model = YuNet(yunet_n_config()).train()
    priors = make_priors(64, 64, (8, 16, 32))
    empty = FaceTargets(torch.zeros(0, 4), torch.zeros(0, 5, 2), torch.zeros(0))
    losses = YuNetCriterion(SimOTAAssigner())(model(torch.zeros(1, 3, 64, 64)), priors, [empty])
    assert losses.num_positives == 0
    assert losses.obj.item() > 0
    assert losses.cls.item() == 0.0
    assert losses.bbox.item() == 0.0


def test_loss_normalized_by_positives() -> None:
    model = YuNet(yunet_n_config()).eval()
    priors = make_priors(64, 64, (8, 16, 32))
    face = FaceTargets(torch.tensor([[8.0, 8.0, 40.0, 40.0]]), torch.zeros(1, 5, 2), torch.ones(1))
    image = torch.rand(1, 3, 64, 64) * 255
    criterion = YuNetCriterion(SimOTAAssigner())
    with torch.no_grad():
        single = criterion(model(image), priors, [face])
        double = criterion(model(image.expand(2, -1, -1, -1)), priors, [face, face])
    # Two copies of the same image give twice the sums and twice the positives: the same loss.
    assert double.num_positives == 2 * single.num_positives
    assert double.total.item() == pytest.approx(single.total.item(), rel=1e-5)
