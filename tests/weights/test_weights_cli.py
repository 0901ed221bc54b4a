"""`yunet convert` and `yunet hub upload` (upload against a recording stand-in for `HfApi`, never a real Hub)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import require_asset
from hub_server import hub_env  # noqa: F401 (fixture: isolated, offline huggingface_hub)

from yunet.cli import main
from yunet.weights import hub
from yunet.weights.registry import VARIANTS


def test_convert_writes_pinned_weights(
    tmp_path: Path, official_weights: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "yunet-n"

    exit_code = main(["convert", str(official_weights["yunet-n"]), str(out_dir)])

    assert exit_code == 0
    assert hub.sha256_of_file(out_dir / "model.safetensors") == VARIANTS["yunet-n"].files["model.safetensors"]
    assert VARIANTS["yunet-n"].files["model.safetensors"] in capsys.readouterr().out
    card = (out_dir / "README.md").read_text()
    assert "license: apache-2.0" in card
    assert "libfacedetection.train" in card


def test_convert_measures_onnx_parity(tmp_path: Path, official_weights: dict[str, Path]) -> None:
    pytest.importorskip("onnxruntime")
    onnx_path = require_asset("libfacedetection/onnx/yunet_n_dynamic.onnx")
    image = require_asset("images/two_people.jpg")
    out_dir = tmp_path / "yunet-n"

    main(["convert", str(official_weights["yunet-n"]), str(out_dir), "--onnx", str(onnx_path), "--image", str(image)])

    card = (out_dir / "README.md").read_text()
    assert "yunet_n_dynamic.onnx" in card
    match = re.search(r"multiple of 32: (\d\.\d+e[+-]\d+)", card)
    assert match is not None
    assert float(match[1]) < 1e-4


def test_convert_rejects_existing_folder(
    tmp_path: Path, official_weights: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text("mine")

    exit_code = main(["convert", str(official_weights["yunet-n"]), str(tmp_path)])

    assert exit_code == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "README.md").read_text() == "mine"


@dataclass
class _Commit:
    oid: str = "0" * 40
    commit_url: str = "https://example.invalid/commit"


@dataclass
class _RepoUrl:
    repo_id: str


class RecordingHfApi:
    """Stand-in for `huggingface_hub.HfApi` that records calls instead of sending them."""

    calls: list[tuple[str, dict[str, object]]] = []

    def __init__(self, token: str | None = None) -> None:
        self.calls.append(("init", {"token": token}))

    def create_repo(self, **kwargs: object) -> _RepoUrl:
        self.calls.append(("create_repo", kwargs))
        return _RepoUrl(str(kwargs["repo_id"]))

    def upload_folder(self, **kwargs: object) -> _Commit:
        self.calls.append(("upload_folder", kwargs))
        return _Commit()

    def create_tag(self, repo_id: str, **kwargs: object) -> None:
        self.calls.append(("create_tag", {"repo_id": repo_id, **kwargs}))


def test_hub_upload_sends_model_files_and_tag(
    tmp_path: Path, official_weights: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub, "HfApi", RecordingHfApi)
    monkeypatch.setattr(RecordingHfApi, "calls", [])
    main(["convert", str(official_weights["yunet-n"]), str(tmp_path / "out")])

    exit_code = main(["hub", "upload", str(tmp_path / "out"), "yunet-org/yunet-n", "--tag", "v1"])

    assert exit_code == 0
    calls = dict(RecordingHfApi.calls)
    assert calls["create_repo"]["repo_id"] == "yunet-org/yunet-n"
    assert calls["upload_folder"]["allow_patterns"] == ["config.json", "model.safetensors", "README.md"]
    assert calls["create_tag"] == {"repo_id": "yunet-org/yunet-n", "tag": "v1", "revision": "0" * 40, "repo_type": "model"}


def test_hub_upload_rejects_broken_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub, "HfApi", RecordingHfApi)
    monkeypatch.setattr(RecordingHfApi, "calls", [])

    exit_code = main(["hub", "upload", str(tmp_path), "yunet-org/yunet-n"])

    assert exit_code == 2
    assert RecordingHfApi.calls == []
