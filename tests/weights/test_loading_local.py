"""load_model on local sources: official .pth files, Hub-format folders, and the YUNET_WEIGHTS_DIR override."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from hub_server import hub_env  # noqa: F401 (fixture: isolated, offline huggingface_hub)

from yunet.config import yunet_n_config, yunet_s_config
from yunet.errors import OfflineError, WeightsChecksumError, WeightsError, WeightsNotFoundError
from yunet.models import YuNet
from yunet.weights.loading import WEIGHTS_DIR_ENV, load_model
from yunet.weights.official import load_official_checkpoint


def assert_same_state(actual: YuNet, expected: YuNet) -> None:
    assert actual.state_dict().keys() == expected.state_dict().keys()
    for key, tensor in expected.state_dict().items():
        assert torch.equal(actual.state_dict()[key], tensor), key


def test_official_pth_path_loads(official_weights: dict[str, Path]) -> None:
    model = load_model(official_weights["yunet-s"])

    assert model.config == yunet_s_config()
    assert_same_state(model, load_official_checkpoint(official_weights["yunet-s"]))


def test_weights_dir_official_pth_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, official_weights: dict[str, Path]
) -> None:
    shutil.copy(official_weights["yunet-n"], tmp_path / "yunet_n.pth")
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))

    model = load_model("yunet-n")

    assert_same_state(model, load_official_checkpoint(official_weights["yunet-n"]))


def test_weights_dir_hub_folder_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, official_weights: dict[str, Path]
) -> None:
    official = load_official_checkpoint(official_weights["yunet-s"])
    official.save_pretrained(tmp_path / "yunet-s")
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))

    model = YuNet.from_pretrained("yunet-s")

    assert_same_state(model, official)


def test_weights_dir_wrong_weights_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    YuNet(yunet_n_config()).save_pretrained(tmp_path / "yunet-n")  # random weights under the registry's name
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))

    with pytest.raises(WeightsChecksumError, match="model.safetensors"):
        load_model("yunet-n")


def test_weights_dir_wrong_architecture_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, official_weights: dict[str, Path]
) -> None:
    shutil.copy(official_weights["yunet-s"], tmp_path / "yunet_n.pth")
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))

    with pytest.raises(WeightsChecksumError, match="yunet_n.pth"):
        load_model("yunet-n")


def test_weights_dir_without_variant_falls_back_to_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))

    with pytest.raises(OfflineError, match="yunet-org/yunet-n"):
        load_model("yunet-n")


def test_unknown_name_lists_registry(tmp_path: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match="yunet-n") as raised:
        load_model("yunet-xl")
    assert "namespace/name" in str(raised.value)


def test_missing_pth_path_not_found(tmp_path: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match="missing.pth"):
        load_model(str(tmp_path / "missing.pth"))


def test_bare_safetensors_file_rejected(tmp_path: Path) -> None:
    YuNet(yunet_s_config()).save_pretrained(tmp_path)

    with pytest.raises(WeightsError, match="pass the folder"):
        load_model(tmp_path / "model.safetensors")


def test_detector_save_pretrained_round_trip(tmp_path: Path, official_weights: dict[str, Path]) -> None:
    from yunet.detector import FaceDetector

    detector = FaceDetector(load_official_checkpoint(official_weights["yunet-n"]))
    detector.save_pretrained(tmp_path)

    reloaded = FaceDetector.from_pretrained(tmp_path)

    assert_same_state(reloaded.source_model, detector.source_model)
