"""Damaged weights folders and CLI output paths: each gives a `YunetError` or a one-line CLI error."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import require_asset

from yunet.errors import WeightsError
from yunet.weights.hub import load_hub_folder
from yunet.weights.official import load_official_checkpoint


@pytest.fixture(scope="module")
def hub_folder(official_weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub") / "yunet-n"
    folder.mkdir()
    load_official_checkpoint(official_weights["yunet-n"]).save_pretrained(folder)
    return folder


def _copy_with_config(hub_folder, tmp_path, config_bytes: bytes):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes((hub_folder / "model.safetensors").read_bytes())
    (folder / "config.json").write_bytes(config_bytes)
    return folder


def test_config_not_utf8_rejected(hub_folder, tmp_path):
    folder = _copy_with_config(hub_folder, tmp_path, b"\xff\xfe{")

    with pytest.raises(WeightsError, match="UTF-8"):
        load_hub_folder(folder)


@pytest.mark.parametrize("version", [0, -1, True, 1.0])
def test_config_invalid_format_version_rejected(hub_folder, tmp_path, version):
    document = json.loads((hub_folder / "config.json").read_text())
    document["hub_format_version"] = version
    folder = _copy_with_config(hub_folder, tmp_path, json.dumps(document).encode())

    with pytest.raises(WeightsError, match="hub_format_version"):
        load_hub_folder(folder)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yunet", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("option", ["--out", "--json"])
def test_cli_unusable_output_path(official_weights, tmp_path, option):
    photo = require_asset("images/two_people.jpg")
    if option == "--out":  # an existing file where a folder is expected
        target = tmp_path / "taken"
        target.write_text("")
    else:  # an existing folder where a file is expected
        target = tmp_path

    result = _run("detect", str(photo), "--weights", str(official_weights["yunet-n"]), option, str(target))

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_cli_same_file_names_not_overwritten(official_weights, tmp_path):
    photo = require_asset("images/two_people.jpg")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "photo.jpg").write_bytes(photo.read_bytes())

    result = _run(
        "detect", str(tmp_path / "a" / "photo.jpg"), str(tmp_path / "b" / "photo.jpg"),
        "--weights", str(official_weights["yunet-n"]), "--out", str(tmp_path / "drawn"),
    )

    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "drawn").iterdir())) == 2
