"""Tests of the training loop on a tiny synthetic dataset: resume, LR log, Ctrl-C, NaN."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from thread_limits import single_torch_thread  # noqa: F401  (autouse)
from yunet.errors import TrainingError
from yunet.training.checkpoint import load_checkpoint, load_model_from_checkpoint
from yunet.training.config import TrainConfig
from yunet.training.trainer import Trainer



@pytest.fixture(scope="module")
def synthetic_dataset(tmp_path_factory):
    """Four 128x128 images with two bright square 'faces' each, in labelv2 format."""
    root = tmp_path_factory.mktemp("synthetic")
    rng = np.random.default_rng(0)
    lines = []
    for index in range(4):
        image = rng.integers(0, 60, size=(128, 128, 3), dtype=np.uint8)
        lines.append(f"# img{index}.jpg 128 128")
        for x, y in ((16 + 8 * index, 20), (70, 60 + 4 * index)):
            image[y : y + 32, x : x + 32] = 220
            points = " ".join(f"{x + dx:.1f} {y + dy:.1f} 0.0" for dx, dy in ((10, 10), (22, 10), (16, 16), (11, 24), (21, 24)))
            lines.append(f"{x} {y} {x + 32} {y + 32} {points}")
        cv2.imwrite(str(root / f"img{index}.jpg"), image)
    (root / "labelv2.txt").write_text("\n".join(lines) + "\n")
    return root


def _config(root, output_dir, **changes) -> TrainConfig:
    tree = {
        "output_dir": str(output_dir),
        "epochs": 4,
        "batch_size": 2,
        "tensorboard": False,
        "progress_bar": False,
        "log_interval": 1,
        "data": {"annotations": str(root / "labelv2.txt"), "images": str(root), "input_size": 64, "num_workers": 0},
        "schedule": {"warmup_iters": 3, "milestones": [2]},
    }
    tree.update(changes)
    return TrainConfig.model_validate(tree)


def _metrics(output_dir) -> list[dict]:
    return [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_resume_reproduces_loss_trace(synthetic_dataset, tmp_path) -> None:
    uninterrupted = tmp_path / "uninterrupted"
    Trainer(_config(synthetic_dataset, uninterrupted, max_steps=6)).train()
    resumed = tmp_path / "resumed"
    Trainer(_config(synthetic_dataset, resumed, max_steps=3)).train()
    Trainer(_config(synthetic_dataset, resumed, max_steps=6), resume=resumed / "last.pt").train()

    expected = _metrics(uninterrupted)
    got = _metrics(resumed)
    assert [row["step"] for row in got] == list(range(6))
    for expected_row, got_row in zip(expected, got):
        assert got_row["loss"] == expected_row["loss"], f"step {got_row['step']}"
        assert got_row["lr"] == expected_row["lr"]
    for name, tensor in load_model_from_checkpoint(uninterrupted / "last.pt").state_dict().items():
        torch.testing.assert_close(load_model_from_checkpoint(resumed / "last.pt").state_dict()[name], tensor, rtol=0, atol=0)


def test_lr_logged_with_warmup_and_decay(synthetic_dataset, tmp_path) -> None:
    Trainer(_config(synthetic_dataset, tmp_path)).train()
    rates = [row["lr"] for row in _metrics(tmp_path)]
    assert len(rates) == 8  # 4 epochs of 2 iterations
    # Warmup over 3 iterations from 0.001 * lr, then lr, then 0.1 * lr from epoch 2 on.
    assert rates[0] == pytest.approx(0.01 * 0.001)
    assert rates[0] < rates[1] < rates[2] < rates[3]
    assert rates[3] == pytest.approx(0.01)
    assert rates[4] == pytest.approx(0.001)
    assert rates[7] == pytest.approx(0.001)


def test_keyboard_interrupt_saves_checkpoint(synthetic_dataset, tmp_path, monkeypatch) -> None:
    trainer = Trainer(_config(synthetic_dataset, tmp_path))
    original_step = trainer.train_step

    def interrupt_at_step_two(batch):
        if trainer.position.step == 2:
            raise KeyboardInterrupt
        return original_step(batch)

    monkeypatch.setattr(trainer, "train_step", interrupt_at_step_two)
    with pytest.raises(KeyboardInterrupt):
        trainer.train()
    assert load_checkpoint(tmp_path / "last.pt")["position"]["step"] == 2


def test_nan_loss_names_step_and_batch(synthetic_dataset, tmp_path) -> None:
    trainer = Trainer(_config(synthetic_dataset, tmp_path))
    with torch.no_grad():
        trainer.model.head.obj_units[0].depthwise.bias.fill_(float("nan"))
    with pytest.raises(TrainingError, match=r"at step 0 \(epoch 0, batch 0; images"):
        trainer.train()


def test_checkpoint_written_atomically(synthetic_dataset, tmp_path) -> None:
    Trainer(_config(synthetic_dataset, tmp_path, max_steps=1)).train()
    assert (tmp_path / "last.pt").is_file()
    assert not list(tmp_path.glob(".last.pt.*.tmp"))
