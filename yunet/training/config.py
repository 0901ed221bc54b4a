"""Typed training configuration, loaded from YAML with `key=value` overrides.

Every field is validated by pydantic; an invalid file or override raises `ConfigError` naming the field.
The defaults are the original libfacedetection.train recipe for yunet-n (see `training/yunet_n.yaml`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yunet.errors import ConfigError

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class DataConfig(BaseModel):
    """Training data and augmentation."""

    model_config = _FROZEN

    format: Literal["labelv2", "wider_mat", "wider_txt"] = Field(
        "labelv2",
        description="Annotation format: labelv2 text (boxes and landmarks), the official wider_face_*.mat, or the "
        "official wider_face_*_bbx_gt.txt (boxes only).",
    )
    annotations: Path = Field(..., description="Annotation file.")
    images: Path = Field(..., description="Folder the annotation's image paths are relative to.")
    missing_images: Literal["error", "skip"] = Field(
        "error", description="What to do when annotated images are missing: raise, or train on those present."
    )
    skip_empty_images: bool = Field(True, description="Leave out images without faces, as the original loader does.")
    input_size: int = Field(640, description="Side of the square network input, in pixels (multiple of 32).")
    crop_scales: tuple[float, ...] = Field(
        (0.5, 0.7, 0.9, 1.1, 1.3, 1.5), description="Random square crop sides, as fractions of the image's short side."
    )
    flip_probability: float = Field(0.5, ge=0.0, le=1.0, description="Probability of a horizontal flip.")
    num_workers: int = Field(2, ge=0, description="DataLoader worker processes (0: load in the main process).")

    @field_validator("input_size")
    @classmethod
    def _multiple_of_32(cls, value: int) -> int:
        if value <= 0 or value % 32:
            raise ValueError(f"input_size must be a positive multiple of 32, got {value}")
        return value

    @field_validator("crop_scales")
    @classmethod
    def _positive_scales(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(scale <= 0 for scale in value):
            raise ValueError(f"crop_scales must be a non-empty list of positive numbers, got {value}")
        return value


class OptimizerConfig(BaseModel):
    """SGD with momentum."""

    model_config = _FROZEN

    lr: float = Field(0.01, gt=0, description="Base learning rate (for the whole batch).")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum.")
    weight_decay: float = Field(5e-4, ge=0, description="L2 weight decay applied by SGD to every parameter.")
    grad_clip_norm: float | None = Field(None, gt=0, description="Clip the gradient's global L2 norm to this (None: off).")


class ScheduleConfig(BaseModel):
    """Learning-rate schedule: linear warmup by iteration, then step decay (or cosine) by epoch."""

    model_config = _FROZEN

    policy: Literal["step", "cosine"] = Field("step", description="Decay after warmup.")
    warmup_iters: int = Field(1500, ge=0, description="Iterations of linear warmup.")
    warmup_ratio: float = Field(0.001, gt=0, le=1, description="Learning rate at iteration 0, as a fraction of lr.")
    milestones: tuple[int, ...] = Field((400, 544), description="Epochs at which step decay multiplies lr by gamma.")
    gamma: float = Field(0.1, gt=0, le=1, description="Step decay factor.")
    min_lr_ratio: float = Field(0.0, ge=0, le=1, description="Final lr of the cosine policy, as a fraction of lr.")


class LossConfig(BaseModel):
    """Loss weights of the original recipe."""

    model_config = _FROZEN

    cls_weight: float = Field(1.0, ge=0, description="Weight of the classification BCE.")
    obj_weight: float = Field(1.0, ge=0, description="Weight of the objectness BCE.")
    bbox_weight: float = Field(5.0, ge=0, description="Weight of the EIoU box loss.")
    kps_weight: float = Field(0.1, ge=0, description="Weight of the smooth-L1 keypoint loss.")
    kps_beta: float = Field(1.0 / 9.0, gt=0, description="Smooth-L1 transition point, in stride units.")


class AssignerConfig(BaseModel):
    """SimOTA assigner."""

    model_config = _FROZEN

    center_radius: float = Field(2.5, gt=0, description="Half side of each face's centre region, in strides.")
    candidate_topk: int = Field(10, ge=1, description="Top IoUs summed into each face's dynamic k.")
    cls_cost_weight: float = Field(1.0, ge=0, description="Weight of the classification cost.")
    iou_cost_weight: float = Field(3.0, ge=0, description="Weight of the -log(IoU) cost.")


class EvalConfig(BaseModel):
    """Periodic WIDER FACE evaluation during training (off when `images` is None)."""

    model_config = _FROZEN

    images: Path | None = Field(None, description="WIDER_val/images folder (or a subset with the same layout).")
    gt: Path | None = Field(None, description="Folder with wider_face_val.mat and wider_{easy,medium,hard}_val.mat.")
    interval_epochs: int = Field(10, ge=1, description="Evaluate every this many epochs, and after the last one.")

    @model_validator(mode="after")
    def _both_or_none(self) -> EvalConfig:
        if (self.images is None) != (self.gt is None):
            raise ValueError("eval.images and eval.gt must be given together")
        return self


class TrainConfig(BaseModel):
    """A whole training run."""

    model_config = _FROZEN

    model: Literal["yunet-n", "yunet-s"] = Field("yunet-n", description="Architecture to train.")
    init_weights: Path | None = Field(None, description="Official .pth to start from (None: random initialization).")
    output_dir: Path = Field(Path("runs/yunet_n"), description="Folder for checkpoints, logs and TensorBoard events.")
    epochs: int = Field(640, ge=1, description="Training epochs.")
    max_steps: int | None = Field(None, ge=1, description="Stop after this many iterations in total (None: run all epochs).")
    batch_size: int = Field(16, ge=1, description="Images per iteration.")
    seed: int = Field(0, ge=0, description="Seed of initialization, shuffling and augmentation.")
    device: str = Field("auto", description="'auto' (CUDA when available, else CPU), 'cpu', 'cuda' or 'cuda:N'.")
    num_threads: int | None = Field(
        None, ge=1, description="torch intra-op CPU threads (None: torch's default, one per core)."
    )
    amp: bool = Field(False, description="Mixed precision (float16 autocast and gradient scaling) on CUDA.")
    tensorboard: bool = Field(True, description="Write TensorBoard scalars under <output_dir>/tensorboard.")
    progress_bar: bool = Field(True, description="Show a tqdm progress bar per epoch.")
    log_interval: int = Field(50, ge=1, description="Write a text log line every this many iterations.")
    checkpoint_interval_steps: int = Field(1000, ge=1, description="Save last.pt every this many iterations.")
    checkpoint_interval_epochs: int = Field(80, ge=1, description="Keep epoch_<N>.pt every this many epochs.")
    data: DataConfig
    optimizer: OptimizerConfig = OptimizerConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    loss: LossConfig = LossConfig()
    assigner: AssignerConfig = AssignerConfig()
    eval: EvalConfig = EvalConfig()


def _set_dotted(tree: dict[str, Any], dotted_key: str, value: Any) -> None:
    node = tree
    parts = dotted_key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {dotted_key!r}: {part!r} is not a section")
        node = child
    node[parts[-1]] = value


def apply_overrides(tree: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key=value` overrides (dotted keys, YAML values) to a config tree, in place; returns the tree."""
    for override in overrides:
        key, separator, text = override.partition("=")
        if not separator or not key.strip():
            raise ConfigError(f"override {override!r} must look like key=value, for example optimizer.lr=0.005")
        _set_dotted(tree, key.strip(), yaml.safe_load(text) if text.strip() else None)
    return tree


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Load a YAML config, apply overrides and validate.

    Relative data paths are kept as written: they resolve against the working directory.

    Raises:
        ConfigError: if the file is missing, is not a YAML mapping, or a field is invalid.
    """
    tree: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"training config not found: {path}")
        loaded = yaml.safe_load(path.read_text())
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a YAML mapping of config fields")
        tree = loaded
    apply_overrides(tree, overrides or [])
    try:
        return TrainConfig.model_validate(tree)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
        source = path if path is not None else "overrides"
        raise ConfigError(f"invalid training config ({source}): {problems}") from None
