"""Conversion of official libfacedetection.train checkpoints (mmdet format) to yunet models.

An official checkpoint is a dict `{'meta', 'state_dict', 'optimizer'}` whose state dict uses mmdet module
names (`backbone.model0.conv1.weight`, `neck.lateral_convs.0...`, `bbox_head.multi_level_cls.2...`).
It is loaded with `torch.load(weights_only=True)`, so no code inside the file can run.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import torch

from yunet.config import ModelConfig
from yunet.errors import WeightsError, WeightsNotFoundError
from yunet.models import YuNet

logger = logging.getLogger(__name__)

_UNIT_PARTS = {"conv1": "pointwise", "conv2": "depthwise", "bn": "bn"}
_HEAD_BRANCHES = {"cls": "cls_units", "obj": "obj_units", "bbox": "bbox_units", "kps": "kps_units"}


def _rename_unit(rest: str) -> str:
    """Rename `conv1.weight` / `conv2.bias` / `bn.running_mean` inside one depthwise unit."""
    part, _, tail = rest.partition(".")
    if part not in _UNIT_PARTS:
        raise KeyError(rest)
    return f"{_UNIT_PARTS[part]}.{tail}"


def rename_official_key(key: str) -> str:
    """Map one official (mmdet) state-dict key to the yunet module name.

    Raises:
        KeyError: if the key belongs to no known YuNet module.
    """
    if match := re.fullmatch(r"backbone\.model0\.conv1\.(.+)", key):
        return f"backbone.stem.conv.{match[1]}"
    if match := re.fullmatch(r"backbone\.model0\.bn1\.(.+)", key):
        return f"backbone.stem.bn.{match[1]}"
    if match := re.fullmatch(r"backbone\.model0\.conv2\.(.+)", key):
        return f"backbone.stem.unit.{_rename_unit(match[1])}"
    if match := re.fullmatch(r"backbone\.model(\d+)\.conv([12])\.(.+)", key):
        return f"backbone.stages.{int(match[1]) - 1}.unit{match[2]}.{_rename_unit(match[3])}"
    if match := re.fullmatch(r"neck\.lateral_convs\.(\d+)\.(.+)", key):
        return f"neck.lateral_units.{match[1]}.{_rename_unit(match[2])}"
    if match := re.fullmatch(r"bbox_head\.multi_level_share_convs\.(\d+)\.(\d+)\.(.+)", key):
        return f"head.shared_units.{match[1]}.{match[2]}.{_rename_unit(match[3])}"
    if match := re.fullmatch(r"bbox_head\.multi_level_(cls|obj|bbox|kps)\.(\d+)\.(.+)", key):
        return f"head.{_HEAD_BRANCHES[match[1]]}.{match[2]}.{_rename_unit(match[3])}"
    raise KeyError(key)


def infer_official_config(state_dict: Mapping[str, torch.Tensor]) -> ModelConfig:
    """Read the architecture (channels, stages, shared head units) off an official state dict's shapes."""
    try:
        stem_mid = state_dict["backbone.model0.conv1.weight"].shape[0]
        stem_out = state_dict["backbone.model0.conv2.conv1.weight"].shape[0]
        stages = []
        index = 1
        while f"backbone.model{index}.conv2.conv1.weight" in state_dict:
            out_channels, in_channels = state_dict[f"backbone.model{index}.conv2.conv1.weight"].shape[:2]
            stages.append((int(in_channels), int(out_channels)))
            index += 1
        neck_channels = state_dict["neck.lateral_convs.0.conv1.weight"].shape[0]
        num_shared = 0
        while f"bbox_head.multi_level_share_convs.0.{num_shared}.conv1.weight" in state_dict:
            num_shared += 1
        head_channels = (
            state_dict["bbox_head.multi_level_share_convs.0.0.conv1.weight"].shape[0] if num_shared else neck_channels
        )
        num_keypoints = state_dict["bbox_head.multi_level_kps.0.conv1.weight"].shape[0] // 2
    except KeyError as error:
        raise WeightsError(
            f"not an official YuNet checkpoint: key {error} is missing; expected mmdet keys such as "
            "'backbone.model0.conv1.weight'"
        ) from None
    num_stages = len(stages)
    try:
        return ModelConfig(
            stem_channels=(int(stem_mid), int(stem_out)),
            stage_channels=tuple(stages),
            downsample_stages=tuple(range(num_stages - 3, num_stages)),
            neck_channels=int(neck_channels),
            head_channels=int(head_channels),
            num_shared_head_units=num_shared,
            num_keypoints=int(num_keypoints),
        )
    except ValueError as error:
        raise WeightsError(f"the checkpoint's layout is not a YuNet architecture: {error}") from None


def convert_official_state_dict(
    state_dict: Mapping[str, torch.Tensor],
) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """Convert an official state dict to `(config, yunet_state_dict)`.

    Raises:
        WeightsError: if a key is unknown or the layout is not YuNet's.
    """
    config = infer_official_config(state_dict)
    converted: dict[str, torch.Tensor] = {}
    unknown = []
    for key, value in state_dict.items():
        try:
            converted[rename_official_key(key)] = value
        except KeyError:
            unknown.append(key)
    if unknown:
        raise WeightsError(f"the checkpoint has keys that belong to no YuNet module: {unknown[:10]}")
    return config, converted


def read_official_checkpoint(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Read the state dict of an official `.pth` checkpoint safely (`torch.load(weights_only=True)`).

    Raises:
        WeightsNotFoundError: if the file does not exist.
        WeightsError: if the file is not a loadable checkpoint (including pickles that try to run code).
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsNotFoundError(f"checkpoint not found: {str(path)!r}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types (UnpicklingError, RuntimeError, EOFError...)
        raise WeightsError(
            f"cannot load {str(path)!r} as a checkpoint with weights_only=True ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); only plain tensor checkpoints are accepted"
        ) from error
    state_dict = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise WeightsError(f"{str(path)!r} does not contain a state dict of tensors")
    return state_dict


def load_state_dict_strict(model: YuNet, state_dict: Mapping[str, torch.Tensor], *, source: str) -> None:
    """Load `state_dict` into `model`, raising `WeightsError` with the missing, unexpected and misshaped keys."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    misshaped = [
        f"{key}: {tuple(state_dict[key].shape)} vs {tuple(expected[key].shape)}"
        for key in expected.keys() & state_dict.keys()
        if state_dict[key].shape != expected[key].shape
    ]
    if missing or unexpected or misshaped:
        raise WeightsError(
            f"weights from {source} do not fit the model architecture: missing keys {missing[:8]}, "
            f"unexpected keys {unexpected[:8]}, shape mismatches {misshaped[:8]}"
        )
    # load_state_dict casts silently, so an integer or bool tensor in place of a float one would load.
    wrong_dtype = [
        f"{key}: {state_dict[key].dtype}"
        for key, tensor in expected.items()
        if tensor.is_floating_point() and not state_dict[key].is_floating_point()
    ]
    not_finite = [
        key for key, tensor in state_dict.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()
    ]
    if wrong_dtype or not_finite:
        raise WeightsError(
            f"weights from {source} are damaged: non-float tensors {wrong_dtype[:8]}, tensors with NaN or "
            f"infinite values {not_finite[:8]}"
        )
    model.load_state_dict(state_dict, strict=True)


def load_official_checkpoint(path: str | os.PathLike[str], config: ModelConfig | None = None) -> YuNet:
    """Build a `YuNet` from an official libfacedetection.train `.pth` file, in eval mode.

    Args:
        path: the checkpoint file, e.g. `yunet_n.pth`.
        config: the expected architecture; inferred from the checkpoint when None. A checkpoint of another
            architecture raises `WeightsError`.
    """
    state_dict = read_official_checkpoint(path)
    inferred, converted = convert_official_state_dict(state_dict)
    model = YuNet(config or inferred)
    load_state_dict_strict(model, converted, source=str(path))
    logger.info("loaded official checkpoint %s", path)
    return model.eval()
