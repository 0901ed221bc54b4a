"""Hub downloads through huggingface_hub against a fake Hub on 127.0.0.1: cache, offline mode, revisions, sha256."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.utils._http
import numpy as np
import pytest
import torch

from conftest import require_asset
from hub_server import FakeHub, HubEnvironment, closed_port_endpoint, fake_hub, hub_env  # noqa: F401 (fixtures)
from yunet.errors import OfflineError, WeightsChecksumError, WeightsNotFoundError
from yunet.models import YuNet
from yunet.weights.loading import load_model
from yunet.weights.official import load_official_checkpoint
from yunet.weights.registry import VARIANTS

TEST_REPO = "test-org/yunet-test"


@pytest.fixture(scope="module")
def official_n_folder(tmp_path_factory: pytest.TempPathFactory, official_weights: dict[str, Path]) -> Path:
    """The official yunet-n checkpoint written by `save_pretrained`."""
    folder = tmp_path_factory.mktemp("hub") / "yunet-n"
    load_official_checkpoint(official_weights["yunet-n"]).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def perturbed_n_folder(tmp_path_factory: pytest.TempPathFactory, official_weights: dict[str, Path]) -> Path:
    """yunet-n with every parameter shifted by 0.01: a second, different set of weights of the same architecture."""
    model = load_official_checkpoint(official_weights["yunet-n"])
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.01)
    folder = tmp_path_factory.mktemp("hub") / "yunet-n-perturbed"
    model.save_pretrained(folder)
    return folder


def assert_same_weights(model: YuNet, folder: Path) -> None:
    expected = YuNet.from_pretrained(folder).state_dict()
    actual = model.state_dict()
    assert actual.keys() == expected.keys()
    for key in expected:
        assert torch.equal(actual[key], expected[key]), key


def test_registry_name_downloads_into_isolated_cache(
    fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path
) -> None:
    variant = VARIANTS["yunet-n"]
    fake_hub.add_folder(variant.repo_id, official_n_folder, refs=(variant.revision,))
    hub_env.configure(endpoint=fake_hub.endpoint)

    model = load_model("yunet-n")

    assert_same_weights(model, official_n_folder)
    cached = list((hub_env.cache / "models--yunet-org--yunet-n" / "snapshots").glob("*/model.safetensors"))
    assert len(cached) == 1
    assert fake_hub.downloads("model.safetensors") == [f"/{variant.repo_id}/resolve/{variant.revision}/model.safetensors"]


def test_offline_load_uses_cache_only(fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path) -> None:
    variant = VARIANTS["yunet-n"]
    fake_hub.add_folder(variant.repo_id, official_n_folder, refs=(variant.revision,))
    hub_env.configure(endpoint=fake_hub.endpoint)
    load_model("yunet-n")
    requests_before = len(fake_hub.requests)
    fake_hub.stop()
    hub_env.configure(endpoint=fake_hub.endpoint, offline=True)

    model = load_model("yunet-n")

    assert_same_weights(model, official_n_folder)
    assert len(fake_hub.requests) == requests_before


def test_server_requests_are_resolve_urls_only(
    fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path
) -> None:
    fake_hub.add_folder(TEST_REPO, official_n_folder)
    hub_env.configure(endpoint=fake_hub.endpoint)

    load_model(TEST_REPO)

    assert sorted(fake_hub.requests) == sorted(
        (method, f"/{TEST_REPO}/resolve/main/{filename}")
        for method in ("HEAD", "GET")
        for filename in ("config.json", "model.safetensors")
    )


def test_revision_pin_selects_matching_files(
    fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path, perturbed_n_folder: Path
) -> None:
    first_commit = fake_hub.add_folder(TEST_REPO, official_n_folder, refs=("v1",))
    fake_hub.add_folder(TEST_REPO, perturbed_n_folder, refs=("main",))
    hub_env.configure(endpoint=fake_hub.endpoint)

    by_tag = load_model(TEST_REPO, revision="v1")
    by_commit = load_model(TEST_REPO, revision=first_commit)
    latest = load_model(TEST_REPO)

    assert_same_weights(by_tag, official_n_folder)
    assert_same_weights(by_commit, official_n_folder)
    assert_same_weights(latest, perturbed_n_folder)


def test_missing_revision_raises_not_found(fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path) -> None:
    fake_hub.add_folder(TEST_REPO, official_n_folder)
    hub_env.configure(endpoint=fake_hub.endpoint)

    with pytest.raises(WeightsNotFoundError, match="revision does not exist"):
        load_model(TEST_REPO, revision="v9")


def test_tampered_download_rejected_by_sha256(
    fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path, perturbed_n_folder: Path
) -> None:
    variant = VARIANTS["yunet-n"]
    tampered = {path.name: path.read_bytes() for path in official_n_folder.iterdir()}
    tampered["model.safetensors"] = (perturbed_n_folder / "model.safetensors").read_bytes()
    fake_hub.add_commit(variant.repo_id, tampered, refs=(variant.revision,))
    hub_env.configure(endpoint=fake_hub.endpoint)

    with pytest.raises(WeightsChecksumError, match="model.safetensors") as raised:
        load_model("yunet-n")
    assert variant.files["model.safetensors"] in str(raised.value)


def test_tampered_cache_rejected_by_sha256(
    fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path, perturbed_n_folder: Path
) -> None:
    variant = VARIANTS["yunet-n"]
    fake_hub.add_folder(variant.repo_id, official_n_folder, refs=(variant.revision,))
    hub_env.configure(endpoint=fake_hub.endpoint)
    load_model("yunet-n")
    (blob,) = (hub_env.cache / "models--yunet-org--yunet-n" / "snapshots").glob("*/model.safetensors")
    blob.resolve().write_bytes((perturbed_n_folder / "model.safetensors").read_bytes())
    hub_env.configure(endpoint=fake_hub.endpoint, offline=True)

    with pytest.raises(WeightsChecksumError, match="force_download=True"):
        load_model("yunet-n")


def test_server_down_without_cache_raises_offline_error(
    hub_env: HubEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub retries a refused connection five times with 1-8 s pauses; skip the pauses.
    monkeypatch.setattr(huggingface_hub.utils._http.time, "sleep", lambda seconds: None)
    hub_env.configure(endpoint=closed_port_endpoint())

    with pytest.raises(OfflineError) as raised:
        load_model("yunet-n")
    message = str(raised.value)
    assert "'yunet-org/yunet-n'" in message
    assert "'config.json'" in message
    assert "HF_HUB_OFFLINE=1" in message
    assert "YUNET_WEIGHTS_DIR" in message


def test_offline_mode_without_cache_raises_offline_error(hub_env: HubEnvironment) -> None:
    hub_env.configure(endpoint=closed_port_endpoint(), offline=True)

    with pytest.raises(OfflineError, match="'test-org/yunet-test'"):
        load_model(TEST_REPO)


def test_pickle_only_repo_is_never_downloaded(
    fake_hub: FakeHub, hub_env: HubEnvironment, official_n_folder: Path
) -> None:
    files = {"config.json": (official_n_folder / "config.json").read_bytes(), "pytorch_model.bin": b"not loaded"}
    fake_hub.add_commit(TEST_REPO, files)
    hub_env.configure(endpoint=fake_hub.endpoint)

    with pytest.raises(WeightsNotFoundError, match="never loads pickled weights"):
        load_model(TEST_REPO)
    assert all("pytorch_model.bin" not in path for _, path in fake_hub.requests)


def test_detections_match_official_after_round_trip(
    fake_hub: FakeHub,
    hub_env: HubEnvironment,
    official_n_folder: Path,
    official_weights: dict[str, Path],
) -> None:
    from yunet.detector import FaceDetector

    image = require_asset("images/two_people.jpg")
    variant = VARIANTS["yunet-n"]
    fake_hub.add_folder(variant.repo_id, official_n_folder, refs=(variant.revision,))
    hub_env.configure(endpoint=fake_hub.endpoint)

    from_hub = FaceDetector.from_pretrained("yunet-n")(image)
    official = FaceDetector(load_official_checkpoint(official_weights["yunet-n"]))(image)

    assert len(official) > 0
    assert len(from_hub) == len(official)
    np.testing.assert_array_equal(from_hub.boxes, official.boxes)
    np.testing.assert_array_equal(from_hub.scores, official.scores)
    np.testing.assert_array_equal(from_hub.landmarks, official.landmarks)
