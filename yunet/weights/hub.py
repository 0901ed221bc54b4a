"""The Hugging Face Hub format of yunet models: `config.json`, `model.safetensors` and a model card.

A Hub-format folder (or Hub model repository) contains:

- `config.json`: `{"model_type": "yunet", "hub_format_version": 1, "architecture": {ModelConfig fields}}`,
  written with sorted keys so that equal configs give equal bytes.
- `model.safetensors`: the unfused state dict (BatchNorm kept), float32 parameters and int64 BatchNorm counters.
- `README.md`: the model card (architecture, parameters, source and license of the weights, parity numbers).

Only safetensors weights are read, so loading a folder or repository never unpickles anything.
Saving and uploading go through `huggingface_hub`'s `PyTorchModelHubMixin` (on `YuNet`) and `HfApi.upload_folder`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import safetensors.torch
from huggingface_hub import HfApi, ModelCard, ModelCardData, constants
from pydantic import ValidationError

from yunet.config import ModelConfig
from yunet.errors import ConfigError, WeightsError, WeightsNotFoundError
from yunet.models import YuNet
from yunet.models.yunet import count_parameters
from yunet.weights.official import load_state_dict_strict
from yunet.weights.registry import VARIANTS

logger = logging.getLogger(__name__)

HUB_FORMAT_VERSION = 1
MODEL_TYPE = "yunet"
CONFIG_FILENAME = constants.CONFIG_NAME  # "config.json"
WEIGHTS_FILENAME = constants.SAFETENSORS_SINGLE_FILE  # "model.safetensors"
MODEL_CARD_FILENAME = "README.md"
MODEL_FILES = (CONFIG_FILENAME, WEIGHTS_FILENAME)  # the files a load reads, in download order
UPLOAD_FILES = (*MODEL_FILES, MODEL_CARD_FILENAME)


def encode_config(config: ModelConfig) -> str:
    """Serialize `config` as the text of `config.json` (sorted keys, so equal configs give equal bytes)."""
    document = {
        "model_type": MODEL_TYPE,
        "hub_format_version": HUB_FORMAT_VERSION,
        "architecture": config.model_dump(mode="json"),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def decode_config(text: str, *, source: str) -> ModelConfig:
    """Parse the text of a `config.json` into a `ModelConfig`.

    Args:
        text: the file's content.
        source: the file's path or Hub location, for error messages.

    Raises:
        WeightsError: if the text is not a yunet config or its format is newer than this yunet reads.
        ConfigError: if the architecture is invalid.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise WeightsError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("model_type") != MODEL_TYPE:
        found = document.get("model_type") if isinstance(document, dict) else type(document).__name__
        raise WeightsError(f"{source} is not a yunet config: expected model_type {MODEL_TYPE!r}, got {found!r}")
    version = document.get("hub_format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise WeightsError(f"{source} has an invalid hub_format_version {version!r}; expected a positive integer")
    if version > HUB_FORMAT_VERSION:
        raise WeightsError(
            f"{source} has hub_format_version {version!r}; this yunet reads versions up to {HUB_FORMAT_VERSION}, "
            "so upgrade yunet"
        )
    try:
        return ModelConfig.model_validate(document.get("architecture"))
    except ValidationError as error:
        raise ConfigError(f"{source} contains an invalid architecture: {error}") from None


def write_model_files(model: YuNet, directory: str | os.PathLike[str]) -> None:
    """Write `config.json` and `model.safetensors` of `model` into `directory` (which must exist).

    The bytes depend only on the config and the tensor values, so converting a checkpoint twice gives files
    with the same sha256.

    Raises:
        WeightsError: if `model` is fused, because a fused model has no BatchNorm layers and cannot be
            rebuilt from its config; save the unfused model instead.
    """
    if model.is_fused:
        raise WeightsError("cannot save a fused YuNet: its layout differs from the config; save the unfused model")
    directory = Path(directory)
    (directory / CONFIG_FILENAME).write_text(encode_config(model.config), encoding="utf-8")
    state_dict = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    safetensors.torch.save_file(state_dict, str(directory / WEIGHTS_FILENAME), metadata={"format": "pt"})
    logger.info("wrote %s and %s to %s", CONFIG_FILENAME, WEIGHTS_FILENAME, directory)


def read_model_files(config_path: str | os.PathLike[str], weights_path: str | os.PathLike[str]) -> YuNet:
    """Build a `YuNet` in eval mode from a `config.json` and a `model.safetensors` file.

    The weights are read with safetensors (no unpickling) and loaded strictly.

    Raises:
        WeightsError: if a file is malformed or the weights do not fit the config.
        ConfigError: if the config's architecture is invalid.
    """
    try:
        config_text = Path(config_path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise WeightsError(f"{str(config_path)!r} is not UTF-8 text, so it is not a yunet config.json: {error}") from None
    config = decode_config(config_text, source=str(config_path))
    try:
        state_dict = safetensors.torch.load_file(str(weights_path), device="cpu")
    except Exception as error:  # safetensors raises SafetensorError, OSError or ValueError depending on the damage
        raise WeightsError(f"cannot read {str(weights_path)!r} as safetensors: {error}") from error
    model = YuNet(config)
    load_state_dict_strict(model, state_dict, source=str(weights_path))
    return model.eval()


def load_hub_folder(directory: str | os.PathLike[str]) -> YuNet:
    """Build a `YuNet` from a folder written by `save_pretrained` (or `yunet convert`).

    Raises:
        WeightsNotFoundError: if `config.json` or `model.safetensors` is missing; a folder containing only pickled
            weights (`pytorch_model.bin`) is rejected, because yunet never unpickles Hub-format weights.
    """
    directory = Path(directory)
    missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
    if missing:
        pickled = sorted(path.name for path in directory.glob("*.bin")) + sorted(
            path.name for path in directory.glob("*.pt*")
        )
        hint = (
            f"; it contains {pickled}, but yunet loads only safetensors weights from a folder (pass the path of an "
            "official .pth file itself, or convert it with `yunet convert`)"
            if pickled
            else "; write one with `model.save_pretrained(folder)` or `yunet convert OFFICIAL.pth folder`"
        )
        raise WeightsNotFoundError(f"{str(directory)!r} is not a yunet Hub-format folder: missing {missing}{hint}")
    return read_model_files(directory / CONFIG_FILENAME, directory / WEIGHTS_FILENAME)


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """Return the sha256 of a file's bytes as 64 lowercase hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def variant_name_of(config: ModelConfig) -> str | None:
    """Return the registry name whose architecture equals `config`, or None."""
    for variant in VARIANTS.values():
        if variant.config == config:
            return variant.name
    return None


def build_model_card(
    model: YuNet,
    *,
    weights_source: str | None = None,
    license: str | None = None,
    parity: Sequence[str] = (),
) -> ModelCard:
    """Build the model card (`README.md`) of a yunet model.

    Args:
        model: the model whose architecture and parameter count the card states.
        weights_source: where the weights come from (a paper, repository or training run), one line of Markdown.
        license: a Hub license id such as "apache-2.0"; None leaves the license unstated.
        parity: measured agreement with a reference, one Markdown line each; each line should give the
            command or script that produced it.
    """
    variant = variant_name_of(model.config)
    card_data = ModelCardData(
        library_name="yunet",
        license=license,
        pipeline_tag="object-detection",
        tags=sorted({"face-detection", "yunet", "pytorch_model_hub_mixin", "model_hub_mixin"}),
    )
    config = model.config
    architecture = "\n".join(
        [
            "| setting | value |",
            "| --- | --- |",
            f"| architecture | {variant or 'custom YuNet'} |",
            f"| parameters | {count_parameters(model):,} |",
            f"| stem channels | {config.stem_channels} |",
            f"| stage channels (in, out) | {config.stage_channels} |",
            f"| neck / head channels | {config.neck_channels} / {config.head_channels} |",
            f"| shared head units | {config.num_shared_head_units} |",
            f"| strides | {config.strides} |",
            f"| keypoints | {config.num_keypoints} |",
        ]
    )
    parity_text = "\n".join(f"- {line}" for line in parity) if parity else "No parity measurement was recorded."
    body = f"""
# YuNet face detector{f" ({variant})" if variant else ""}

A PyTorch YuNet model for the `yunet` library: face boxes and five landmarks.

## Architecture

{architecture}

## Weights

- Source: {weights_source or "not stated"}
- License: {license or "not stated"}

## Parity

{parity_text}

## Files

- `{CONFIG_FILENAME}`: the architecture (`model_type`, `hub_format_version`, `architecture`).
- `{WEIGHTS_FILENAME}`: the unfused state dict; loading it never unpickles anything.

## Usage

```python
from yunet.detector import FaceDetector

detector = FaceDetector.from_pretrained("namespace/repository")  # this repository's id
faces = detector("photo.jpg")
```
"""
    return ModelCard(f"---\n{card_data.to_yaml()}\n---\n{body}")


def upload_folder(
    folder: str | os.PathLike[str],
    repo_id: str,
    *,
    tag: str | None = None,
    branch: str | None = None,
    private: bool | None = None,
    token: str | None = None,
    commit_message: str = "Upload yunet model",
) -> str:
    """Upload a Hub-format folder to a Hub model repository, creating the repository if needed.

    The folder is loaded first, so a broken folder is never uploaded. Only `config.json`, `model.safetensors`
    and `README.md` are sent.

    Args:
        folder: a folder written by `save_pretrained` or `yunet convert`.
        repo_id: `namespace/name` of the model repository.
        tag: a tag to create on the new commit (the revision a registry entry pins).
        branch: the branch to commit to; None commits to `main`.
        private: visibility of a newly created repository; None uses the namespace's default.
        token: a Hub token; None uses the token saved by `hf auth login`.
        commit_message: the commit message.

    Returns:
        The URL of the commit.
    """
    load_hub_folder(folder)
    api = HfApi(token=token)
    repo_url = api.create_repo(repo_id=repo_id, repo_type="model", private=private, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_url.repo_id,
        repo_type="model",
        folder_path=str(folder),
        allow_patterns=list(UPLOAD_FILES),
        commit_message=commit_message,
        revision=branch,
    )
    if tag is not None:
        api.create_tag(repo_url.repo_id, tag=tag, revision=commit.oid, repo_type="model")
    logger.info("uploaded %s to %s (commit %s)", folder, repo_url.repo_id, commit.oid)
    return str(commit.commit_url)
