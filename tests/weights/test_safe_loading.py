"""Pickled files whose loading would run code are rejected before any of it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hub_server import hub_env  # noqa: F401 (fixture: isolated, offline huggingface_hub)

from yunet.errors import WeightsChecksumError, WeightsError, WeightsNotFoundError
from yunet.weights.loading import WEIGHTS_DIR_ENV, load_model
from yunet.weights.official import load_official_checkpoint


class _WriteMarkerOnUnpickle:
    """An object whose unpickling calls `exec`, which writes `marker`: the shape of a malicious checkpoint."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').write('code ran')",)


def write_malicious_checkpoint(path: Path, marker: Path) -> Path:
    torch.save({"meta": {}, "state_dict": _WriteMarkerOnUnpickle(marker)}, path)
    return path


def test_malicious_payload_runs_when_unpickled_unsafely(tmp_path: Path) -> None:
    # The payload is real: plain unpickling runs it. The tests below are meaningful only because of this.
    marker = tmp_path / "marker"
    checkpoint = write_malicious_checkpoint(tmp_path / "evil.pth", marker)

    torch.load(checkpoint, weights_only=False)

    assert marker.exists()


def test_malicious_pth_rejected_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    checkpoint = write_malicious_checkpoint(tmp_path / "yunet_n.pth", marker)

    with pytest.raises(WeightsError, match="weights_only=True"):
        load_model(checkpoint)
    assert not marker.exists()


def test_malicious_pth_in_weights_dir_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "marker"
    write_malicious_checkpoint(tmp_path / "yunet_n.pth", marker)
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))

    with pytest.raises(WeightsChecksumError, match="official yunet-n checkpoint"):
        load_model("yunet-n")
    assert not marker.exists()


def test_pickle_renamed_to_safetensors_rejected(tmp_path: Path, official_weights: dict[str, Path]) -> None:
    marker = tmp_path / "marker"
    folder = tmp_path / "model"
    load_official_checkpoint(official_weights["yunet-n"]).save_pretrained(folder)
    write_malicious_checkpoint(folder / "model.safetensors", marker)

    with pytest.raises(WeightsError, match="as safetensors"):
        load_model(folder)
    assert not marker.exists()


def test_folder_with_only_pickled_weights_rejected(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    write_malicious_checkpoint(folder / "pytorch_model.bin", marker)

    with pytest.raises(WeightsNotFoundError, match="pytorch_model.bin"):
        load_model(folder)
    assert not marker.exists()
