"""The Hub format: config.json and model.safetensors written by save_pretrained, read back exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hub_server import hub_env  # noqa: F401 (fixture: isolated, offline huggingface_hub)

from yunet.config import yunet_s_config
from yunet.errors import ConfigError, WeightsError
from yunet.models import YuNet
from yunet.weights import hub
from yunet.weights.official import load_official_checkpoint
from yunet.weights.registry import VARIANTS


@pytest.mark.parametrize("name", ["yunet-n", "yunet-s"])
def test_convert_reproduces_registry_sha256(name: str, tmp_path: Path, official_weights: dict[str, Path]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    load_official_checkpoint(official_weights[name]).save_pretrained(first)
    load_official_checkpoint(official_weights[name]).save_pretrained(second)

    for filename in hub.MODEL_FILES:
        assert hub.sha256_of_file(first / filename) == hub.sha256_of_file(second / filename), filename
    # A failure here means the safetensors bytes changed (renamed modules or a new safetensors layout): the
    # published files no longer match a fresh conversion, so re-pin the registry after publishing again.
    assert hub.sha256_of_file(first / "model.safetensors") == VARIANTS[name].files["model.safetensors"]


def test_saved_folder_loads_identical_weights(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = YuNet(yunet_s_config())
    model.save_pretrained(tmp_path)

    loaded = YuNet.from_pretrained(tmp_path)

    assert loaded.config == model.config
    assert not loaded.training
    for key, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], tensor), key


def test_saved_folder_has_hub_files(tmp_path: Path, official_weights: dict[str, Path]) -> None:
    load_official_checkpoint(official_weights["yunet-n"]).save_pretrained(
        tmp_path, model_card_kwargs={"license": "apache-2.0", "weights_source": "official"}
    )

    assert sorted(path.name for path in tmp_path.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    document = json.loads((tmp_path / "config.json").read_text())
    assert document["model_type"] == "yunet"
    assert document["hub_format_version"] == hub.HUB_FORMAT_VERSION
    card = (tmp_path / "README.md").read_text()
    assert "license: apache-2.0" in card
    assert "library_name: yunet" in card
    assert "| parameters | 75,856 |" in card


def test_fused_model_save_rejected(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="fused"):
        YuNet(yunet_s_config()).fuse().save_pretrained(tmp_path)


def test_config_round_trip_is_exact() -> None:
    config = yunet_s_config()

    assert hub.decode_config(hub.encode_config(config), source="test") == config


def test_config_of_newer_format_rejected() -> None:
    document = json.loads(hub.encode_config(yunet_s_config()))
    document["hub_format_version"] = hub.HUB_FORMAT_VERSION + 1

    with pytest.raises(WeightsError, match="upgrade yunet"):
        hub.decode_config(json.dumps(document), source="test")


def test_config_of_other_model_type_rejected() -> None:
    with pytest.raises(WeightsError, match="not a yunet config"):
        hub.decode_config('{"model_type": "bert", "hub_format_version": 1}', source="test")


def test_config_with_invalid_architecture_rejected() -> None:
    document = json.loads(hub.encode_config(yunet_s_config()))
    document["architecture"]["strides"] = [8, 16]

    with pytest.raises(ConfigError, match="invalid architecture"):
        hub.decode_config(json.dumps(document), source="test")


class _UploadRecorder:
    """Stand-in for `huggingface_hub.HfApi` in the mixin's `push_to_hub`: lists the uploaded folder, sends nothing."""

    uploaded: list[tuple[str, list[str]]] = []

    def __init__(self, token: str | None = None) -> None:
        pass

    def create_repo(self, *, repo_id: str, **kwargs: object) -> object:
        return type("RepoUrl", (), {"repo_id": repo_id})()

    def upload_folder(self, *, repo_id: str, folder_path: Path, **kwargs: object) -> str:
        self.uploaded.append((repo_id, sorted(path.name for path in Path(folder_path).iterdir())))
        return "commit-url"


def test_push_to_hub_uploads_hub_files(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.hub_mixin

    monkeypatch.setattr(huggingface_hub.hub_mixin, "HfApi", _UploadRecorder)
    monkeypatch.setattr(_UploadRecorder, "uploaded", [])

    YuNet(yunet_s_config()).push_to_hub("someone/my-yunet")

    assert _UploadRecorder.uploaded == [("someone/my-yunet", ["README.md", "config.json", "model.safetensors"])]
