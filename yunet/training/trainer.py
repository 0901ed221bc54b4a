"""The training loop of the original recipe: SGD, warmup then decay, checkpoints, logging, evaluation.

One process, one device (CPU or one GPU); no launcher is needed. Per-iteration metrics, including the
learning rate, go to `<output_dir>/metrics.jsonl`. Every `log_interval` iterations a text line goes to the
`yunet.training.trainer` logger, and scalars go to TensorBoard when it is enabled.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from yunet.config import yunet_n_config, yunet_s_config
from yunet.errors import ConfigError, TrainingError
from yunet.models import YuNet
from yunet.ops.priors import make_priors
from yunet.training.annotations import FaceRecord, check_images, read_labelv2, read_wider_mat, read_wider_txt
from yunet.training.assigners import SimOTAAssigner
from yunet.training.checkpoint import (
    CHECKPOINT_FORMAT_VERSION,
    capture_rng_states,
    load_checkpoint,
    restore_rng_states,
    save_atomic,
)
from yunet.training.config import TrainConfig
from yunet.training.criterion import LossOutput, YuNetCriterion
from yunet.training.datasets import Batch, EpochSampler, FaceDataset, collate_batch
from yunet.training.schedule import WarmupSchedule

logger = logging.getLogger(__name__)

_READERS: dict[str, Callable[[Path, Path], list[FaceRecord]]] = {
    "labelv2": read_labelv2,
    "wider_mat": read_wider_mat,
    "wider_txt": read_wider_txt,
}


@dataclass
class TrainingPosition:
    """Position of a run: iterations done, current epoch and batches done in it."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0


def select_device(name: str) -> torch.device:
    """Resolve `"auto"` to CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"device {name!r} is not a torch device; use auto, cpu, cuda or cuda:N") from None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_records(config: TrainConfig) -> list[FaceRecord]:
    """Read the training annotations and check the images, as the data config sets."""
    data = config.data
    records = _READERS[data.format](data.annotations, data.images)
    records = check_images(records, missing=data.missing_images)
    if data.skip_empty_images:
        records = [record for record in records if record.num_faces > 0]
    if not records:
        raise ConfigError(f"no training image with faces in {data.annotations}")
    return records


def build_model(config: TrainConfig) -> YuNet:
    """Build the configured architecture, from official weights when `init_weights` is set."""
    if config.init_weights is not None:
        from yunet.weights import load_official_checkpoint

        model_config = yunet_n_config() if config.model == "yunet-n" else yunet_s_config()
        return load_official_checkpoint(config.init_weights, model_config)
    return YuNet(yunet_n_config() if config.model == "yunet-n" else yunet_s_config())


class Trainer:
    """Runs one training configuration, optionally resuming from a checkpoint.

    Args:
        config: the run's configuration.
        resume: a checkpoint written by a previous run of the same config, to continue exactly.
    """

    def __init__(self, config: TrainConfig, *, resume: str | Path | None = None) -> None:
        self.config = config
        self.device = select_device(config.device)
        self.output_dir = Path(config.output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        if config.num_threads is not None:
            # Process-wide: on a busy CPU, fewer threads than cores avoids threads waiting on each other.
            torch.set_num_threads(config.num_threads)
        seed_everything(config.seed)

        self.model = build_model(config).to(self.device).train()
        records = load_records(config)
        self.dataset = FaceDataset(
            records,
            input_size=config.data.input_size,
            crop_scales=config.data.crop_scales,
            flip_probability=config.data.flip_probability,
            seed=config.seed,
        )
        self.sampler = EpochSampler(len(self.dataset), seed=config.seed)
        self.steps_per_epoch = math.ceil(len(self.dataset) / config.batch_size)
        self.optimizer = torch.optim.SGD(
            self.model.parameters(),
            lr=config.optimizer.lr,
            momentum=config.optimizer.momentum,
            weight_decay=config.optimizer.weight_decay,
        )
        self.schedule = WarmupSchedule(self.optimizer, config.schedule, base_lr=config.optimizer.lr, total_epochs=config.epochs)
        self.use_amp = config.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        assigner = SimOTAAssigner(
            center_radius=config.assigner.center_radius,
            candidate_topk=config.assigner.candidate_topk,
            cls_weight=config.assigner.cls_cost_weight,
            iou_weight=config.assigner.iou_cost_weight,
        )
        loss = config.loss
        self.criterion = YuNetCriterion(
            assigner,
            cls_weight=loss.cls_weight,
            obj_weight=loss.obj_weight,
            bbox_weight=loss.bbox_weight,
            kps_weight=loss.kps_weight,
            kps_beta=loss.kps_beta,
        )
        size = config.data.input_size
        self.priors = make_priors(size, size, self.model.config.strides, device=self.device)
        self.position = TrainingPosition()
        self.metrics_path = self.output_dir / "metrics.jsonl"
        self.tensorboard: Any = None
        if resume is not None:
            self._resume(Path(resume))
        else:
            self.metrics_path.write_text("")
        logger.info(
            "training %s on %s: %d images, %d iterations per epoch, %d epochs",
            config.model, self.device, len(self.dataset), self.steps_per_epoch, config.epochs,
        )

    # ---- checkpoints -------------------------------------------------------------------------------

    def checkpoint_payload(self) -> dict[str, Any]:
        """Everything needed to continue the run exactly."""
        return {
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "model": self.model.state_dict(),
            "model_config": self.model.config.model_dump(mode="json"),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": capture_rng_states(),
            "position": {
                "step": self.position.step,
                "epoch": self.position.epoch,
                "batch_in_epoch": self.position.batch_in_epoch,
            },
            "config": self.config.model_dump(mode="json"),
        }

    def save_checkpoint(self, name: str = "last.pt") -> Path:
        """Write a checkpoint atomically into the output folder."""
        path = save_atomic(self.checkpoint_payload(), self.output_dir / name)
        logger.info("saved checkpoint %s at step %d", path, self.position.step)
        return path

    def _resume(self, path: Path) -> None:
        checkpoint = load_checkpoint(path, map_location=self.device)
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.schedule.load_state_dict(checkpoint["schedule"])
        self.scaler.load_state_dict(checkpoint["scaler"])
        restore_rng_states(checkpoint["rng"])
        self.position = TrainingPosition(**checkpoint["position"])
        saved_config = checkpoint.get("config", {})
        if saved_config.get("data", {}).get("annotations") != self.config.model_dump(mode="json")["data"]["annotations"]:
            logger.warning("resuming %s with different training annotations than it was saved with", path)
        # Metrics logged after the checkpoint by the interrupted run are dropped, so the file has one row per step.
        kept = []
        if self.metrics_path.is_file():
            for line in self.metrics_path.read_text().splitlines():
                row = json.loads(line)
                if row.get("step", -1) < self.position.step:
                    kept.append(line)
        self.metrics_path.write_text("".join(line + "\n" for line in kept))
        logger.info("resumed from %s at step %d (epoch %d, batch %d)", path, self.position.step, self.position.epoch, self.position.batch_in_epoch)

    # ---- one iteration -----------------------------------------------------------------------------

    def train_step(self, batch: Batch) -> LossOutput:
        """Forward, loss, backward and optimizer step on one batch."""
        images = batch.images.to(self.device, non_blocking=True)
        targets = [target.to(self.device) for target in batch.targets]
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
            outputs = self.model(images)
        losses = self.criterion(outputs, self.priors, targets)
        if not torch.isfinite(losses.total):
            paths = [str(self.dataset.records[index].image_path) for index in batch.indices]
            raise TrainingError(
                f"loss is {float(losses.total.detach())} at step {self.position.step} (epoch {self.position.epoch}, batch "
                f"{self.position.batch_in_epoch}; images {paths}); terms cls={float(losses.cls.detach())} obj={float(losses.obj.detach())} "
                f"bbox={float(losses.bbox.detach())} kps={float(losses.kps.detach())}. Lower optimizer.lr or set optimizer.grad_clip_norm, "
                "and resume from the last checkpoint"
            )
        self.scaler.scale(losses.total).backward()
        if self.config.optimizer.grad_clip_norm is not None:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.optimizer.grad_clip_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return losses

    # ---- the loop ----------------------------------------------------------------------------------

    def _make_loader(self, start_batch: int) -> DataLoader:
        self.dataset.set_epoch(self.position.epoch)
        self.sampler.set_epoch(self.position.epoch, start=start_batch * self.config.batch_size)
        workers = self.config.data.num_workers
        return DataLoader(
            self.dataset,
            batch_size=self.config.batch_size,
            sampler=self.sampler,
            num_workers=workers,
            collate_fn=collate_batch,
            pin_memory=self.device.type == "cuda",
            persistent_workers=False,
        )

    def _is_done(self) -> bool:
        max_steps = self.config.max_steps
        return self.position.epoch >= self.config.epochs or (max_steps is not None and self.position.step >= max_steps)

    def train(self) -> TrainingPosition:
        """Run until the last epoch or `max_steps`; returns the final position.

        Ctrl-C (KeyboardInterrupt) saves `last.pt` at the last finished iteration and re-raises.

        Raises:
            TrainingError: when the loss is NaN or infinite, naming the step, batch and images.
        """
        self._open_tensorboard()
        try:
            while not self._is_done():
                self._train_epoch()
            self.save_checkpoint("last.pt")
        except KeyboardInterrupt:
            logger.warning("interrupted at step %d; saving a checkpoint before exiting", self.position.step)
            self.save_checkpoint("last.pt")
            raise
        finally:
            if self.tensorboard is not None:
                self.tensorboard.close()
        return self.position

    def _train_epoch(self) -> None:
        from tqdm import tqdm

        config = self.config
        loader = self._make_loader(self.position.batch_in_epoch)
        progress = tqdm(
            loader,
            total=self.steps_per_epoch,
            initial=self.position.batch_in_epoch,
            desc=f"epoch {self.position.epoch + 1}/{config.epochs}",
            disable=not config.progress_bar,
            leave=False,
        )
        for batch in progress:
            started = time.perf_counter()
            epoch_progress = self.position.epoch + self.position.batch_in_epoch / self.steps_per_epoch
            lr = self.schedule.step(self.position.step, epoch_progress)
            losses = self.train_step(batch)
            self._log_step(losses, lr, time.perf_counter() - started)
            progress.set_postfix(loss=f"{float(losses.total.detach()):.3f}", lr=f"{lr:.2e}")
            self.position.step += 1
            self.position.batch_in_epoch += 1
            if self.position.step % config.checkpoint_interval_steps == 0:
                self.save_checkpoint("last.pt")
            if config.max_steps is not None and self.position.step >= config.max_steps:
                return
        progress.close()
        self.position.epoch += 1
        self.position.batch_in_epoch = 0
        self._end_of_epoch()

    def _end_of_epoch(self) -> None:
        config = self.config
        epoch = self.position.epoch
        if epoch % config.checkpoint_interval_epochs == 0:
            self.save_checkpoint(f"epoch_{epoch}.pt")
        if config.eval.images is not None and (epoch % config.eval.interval_epochs == 0 or epoch == config.epochs):
            self.evaluate()

    # ---- logging and evaluation ---------------------------------------------------------------------

    def _open_tensorboard(self) -> None:
        if not self.config.tensorboard:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            logger.warning("tensorboard is not installed; install yunet[training] for TensorBoard logs")
            return
        self.tensorboard = SummaryWriter(str(self.output_dir / "tensorboard"))

    def _log_step(self, losses: LossOutput, lr: float, seconds: float) -> None:
        position = self.position
        row = {
            "step": position.step,
            "epoch": position.epoch,
            "batch": position.batch_in_epoch,
            "lr": lr,
            "loss": float(losses.total.detach()),
            "loss_cls": float(losses.cls.detach()),
            "loss_obj": float(losses.obj.detach()),
            "loss_bbox": float(losses.bbox.detach()),
            "loss_kps": float(losses.kps.detach()),
            "num_positives": losses.num_positives,
            "seconds": seconds,
        }
        with self.metrics_path.open("a") as file:
            file.write(json.dumps(row) + "\n")
        if self.tensorboard is not None:
            for key in ("lr", "loss", "loss_cls", "loss_obj", "loss_bbox", "loss_kps"):
                self.tensorboard.add_scalar(f"train/{key}", row[key], position.step)
        if position.step % self.config.log_interval == 0:
            logger.info(
                "epoch %d batch %d/%d step %d lr %.3e loss %.4f (cls %.4f obj %.4f bbox %.4f kps %.4f) positives %d %.2fs",
                position.epoch + 1, position.batch_in_epoch + 1, self.steps_per_epoch, position.step, lr,
                row["loss"], row["loss_cls"], row["loss_obj"], row["loss_bbox"], row["loss_kps"], losses.num_positives, seconds,
            )

    def evaluate(self) -> dict[str, float]:
        """Run the WIDER FACE evaluation of the eval config on the current model; returns AP per difficulty."""
        from yunet.eval.inference import ModelDetector, list_images, predict_folder
        from yunet.eval.widerface import evaluate, load_ground_truth

        eval_config = self.config.eval
        assert eval_config.images is not None and eval_config.gt is not None  # checked by the caller
        predictions = predict_folder(ModelDetector(self.model), list_images(eval_config.images))
        result = evaluate(predictions, load_ground_truth(eval_config.gt))
        self.model.train()
        logger.info("evaluation at epoch %d:\n%s", self.position.epoch, result.summary())
        with self.metrics_path.open("a") as file:
            file.write(json.dumps({"eval_step": self.position.step, "epoch": self.position.epoch, **{f"ap_{k}": v for k, v in result.ap.items()}}) + "\n")
        if self.tensorboard is not None:
            for difficulty, value in result.ap.items():
                self.tensorboard.add_scalar(f"eval/ap_{difficulty}", value, self.position.step)
        return dict(result.ap)
