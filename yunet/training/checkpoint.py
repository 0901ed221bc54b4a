"""Training checkpoints: written atomically, read with `torch.load(weights_only=True)`.

A checkpoint is a dict of tensors and plain values: model, optimizer, schedule and gradient-scaler states,
the RNG states (Python, NumPy, torch CPU and CUDA, stored as tensors), the training position and the
config. Writing goes to a temporary file in the same folder, then `os.replace`, so a crash never leaves a
truncated checkpoint under the final name.
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yunet.config import ModelConfig
from yunet.errors import WeightsError, WeightsNotFoundError
from yunet.models import YuNet
from yunet.weights.official import load_state_dict_strict

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT_VERSION = 1


def save_atomic(payload: dict[str, Any], path: str | Path) -> Path:
    """Write `payload` with `torch.save` to a temporary file beside `path`, then rename it to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def capture_rng_states() -> dict[str, Any]:
    """RNG states of Python, NumPy and torch as tensors and plain values (loadable with weights_only)."""
    python_version, python_state, python_gauss = random.getstate()
    numpy_kind, numpy_keys, numpy_pos, numpy_has_gauss, numpy_gauss = np.random.get_state()
    states: dict[str, Any] = {
        "python": {"version": python_version, "state": torch.tensor(python_state, dtype=torch.int64), "gauss": python_gauss},
        "numpy": {
            "kind": numpy_kind,
            "keys": torch.from_numpy(numpy_keys.astype(np.int64)),
            "pos": int(numpy_pos),
            "has_gauss": int(numpy_has_gauss),
            "gauss": float(numpy_gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    """Restore states captured by `capture_rng_states`."""
    python = states["python"]
    random.setstate((python["version"], tuple(python["state"].tolist()), python["gauss"]))
    numpy_state = states["numpy"]
    np.random.set_state(
        (numpy_state["kind"], numpy_state["keys"].numpy().astype(np.uint32), numpy_state["pos"], numpy_state["has_gauss"], numpy_state["gauss"])
    )
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def load_checkpoint(path: str | Path, *, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a training checkpoint without unpickling code.

    Raises:
        WeightsNotFoundError: if the file does not exist.
        WeightsError: if it is not a yunet training checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsNotFoundError(f"checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises several types (UnpicklingError, RuntimeError, EOFError)
        raise WeightsError(f"cannot read {path} as a checkpoint with weights_only=True: {error}") from error
    if not isinstance(checkpoint, dict) or "model" not in checkpoint or "model_config" not in checkpoint:
        raise WeightsError(f"{path} is not a yunet training checkpoint (no 'model' and 'model_config' entries)")
    return checkpoint


def load_model_from_checkpoint(path: str | Path) -> YuNet:
    """Build the model stored in a training checkpoint, in eval mode."""
    checkpoint = load_checkpoint(path)
    model = YuNet(ModelConfig.model_validate(checkpoint["model_config"]))
    load_state_dict_strict(model, checkpoint["model"], source=str(path))
    return model.eval()
