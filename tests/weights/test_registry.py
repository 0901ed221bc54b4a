"""The variant table: lookups, entries without weights, and validation of entries."""

from __future__ import annotations

import pytest
from hub_server import hub_env  # noqa: F401 (fixture: isolated, offline huggingface_hub)
from pydantic import ValidationError

from yunet.config import yunet_n_config, yunet_s_config
from yunet.errors import WeightsNotFoundError
from yunet.weights import loading, registry
from yunet.weights.registry import Variant


def test_registry_lists_official_variants() -> None:
    assert registry.get_variant("yunet-n").config == yunet_n_config()
    assert registry.get_variant("yunet-s").config == yunet_s_config()
    assert registry.find_variant_by_repo("yunet-org/yunet-s") is registry.VARIANTS["yunet-s"]


def test_registry_unknown_name_raises() -> None:
    with pytest.raises(WeightsNotFoundError, match="known variants"):
        registry.get_variant("yunet-m")


def test_variant_without_weights_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    preset = Variant(name="yunet-preset", description="training preset", config=yunet_s_config())
    monkeypatch.setitem(registry.VARIANTS, preset.name, preset)

    assert not preset.has_weights
    with pytest.raises(WeightsNotFoundError, match="no published weights"):
        loading.load_model("yunet-preset")


def test_variant_with_partial_repository_rejected() -> None:
    with pytest.raises(ValidationError, match="together"):
        Variant(name="x", description="x", config=yunet_s_config(), repo_id="org/x")


def test_variant_with_malformed_sha256_rejected() -> None:
    with pytest.raises(ValidationError, match="sha256"):
        Variant(
            name="x",
            description="x",
            config=yunet_s_config(),
            repo_id="org/x",
            revision="v1",
            files={"model.safetensors": "ABC"},
        )
