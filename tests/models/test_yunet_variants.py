"""Tests of the architecture options as a whole: fusion is exact, fused models are single-branch, the
original presets are unchanged and `FaceDetector` runs every preset."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pydantic
import pytest
import torch
from conftest import require_asset
from model_helpers import assert_relative_close, randomize_batch_norm
from model_helpers import one_torch_thread  # noqa: F401 (autouse fixture)
from torch import nn

from yunet.config import PRESETS, ModelConfig, preset_config, yunet_n_config, yunet_s_config
from yunet.detector import FaceDetector
from yunet.errors import ConfigError
from yunet.models import YuNet, count_parameters
from yunet.models.blocks import RepConv
from yunet.results import Detections
from yunet.weights.registry import VARIANTS

OPTION_VALUES: dict[str, tuple[Any, ...]] = {
    "backbone_block": ("original", "repconv"),
    "attention": ("none", "coordinate", "eca"),
    "head_kind": ("coupled", "decoupled"),
    "box_branch": ("direct", "dfl"),
    "keypoint_branch": ("direct", "simcc"),
}

# Six rows that contain every pair of values of any two options (a pairwise covering array). They run at
# the real channel counts, while the full product of the options runs on a narrow network.
PAIRWISE_ROWS = [
    ("original", "none", "coupled", "direct", "direct"),
    ("repconv", "none", "decoupled", "dfl", "simcc"),
    ("original", "coordinate", "decoupled", "dfl", "direct"),
    ("repconv", "coordinate", "coupled", "direct", "simcc"),
    ("original", "eca", "coupled", "dfl", "simcc"),
    ("repconv", "eca", "decoupled", "direct", "direct"),
]

# A narrow network, so that the full product of the options stays quick.
NARROW_LAYOUT: dict[str, Any] = {
    "stem_channels": (8, 8),
    "stage_channels": ((8, 16), (16, 16), (16, 16), (16, 16), (16, 16)),
    "neck_channels": 16,
    "head_channels": 16,
}


def make_config(row: tuple[Any, ...], **layout: Any) -> ModelConfig:
    options = dict(zip(OPTION_VALUES, row))
    if options["attention"] != "none":
        options["attention_stages"] = (2, 4, 5)
    return ModelConfig(**options, **layout)


def assert_fused_outputs_match(config: ModelConfig, size: int = 64) -> None:
    torch.manual_seed(0)
    model = YuNet(config)
    randomize_batch_norm(model)
    model.eval()
    images = torch.rand(2, 3, size, size) * 255

    with torch.no_grad():
        expected = model.predict(images)
        actual = model.fuse().predict(images)

    for field, expected_levels, actual_levels in zip(expected._fields, expected, actual):
        for level, (expected_level, actual_level) in enumerate(zip(expected_levels, actual_levels)):
            try:
                assert_relative_close(actual_level, expected_level)
            except AssertionError as error:
                raise AssertionError(f"{field} level {level}: {error}") from None


def assert_single_branch(model: nn.Module) -> None:
    for name, module in model.named_modules():
        assert not isinstance(module, nn.modules.batchnorm._BatchNorm), f"{name} is a BatchNorm"
        if isinstance(module, RepConv):
            assert module.is_fused, f"{name} is an unfused RepConv"
            assert module.conv3x3 is None and module.conv1x1 is None and module.identity is None


def test_pairwise_rows_cover_every_pair() -> None:
    names = list(OPTION_VALUES)
    for first, second in itertools.combinations(range(len(names)), 2):
        covered = {(row[first], row[second]) for row in PAIRWISE_ROWS}
        wanted = set(itertools.product(OPTION_VALUES[names[first]], OPTION_VALUES[names[second]]))
        assert covered == wanted, f"{names[first]} x {names[second]}"


@pytest.mark.parametrize("row", PAIRWISE_ROWS, ids="-".join)
def test_fuse_matches_unfused_pairwise(row: tuple[Any, ...]) -> None:
    assert_fused_outputs_match(make_config(row))


@pytest.mark.parametrize("row", list(itertools.product(*OPTION_VALUES.values())), ids="-".join)
def test_fuse_matches_unfused_every_combination(row: tuple[Any, ...]) -> None:
    assert_fused_outputs_match(make_config(row, **NARROW_LAYOUT))


@pytest.mark.parametrize("name", list(PRESETS))
def test_fuse_matches_unfused_preset(name: str) -> None:
    assert_fused_outputs_match(preset_config(name))


@pytest.mark.parametrize("row", PAIRWISE_ROWS, ids="-".join)
def test_fused_model_is_single_branch(row: tuple[Any, ...]) -> None:
    model = YuNet(make_config(row))

    assert_single_branch(model.fuse())


def test_fuse_leaves_original_and_is_idempotent() -> None:
    model = YuNet(preset_config("yunet-n-modern"))
    state = {key: value.clone() for key, value in model.state_dict().items()}

    fused = model.fuse()
    fused_again = fused.fuse()

    assert model.state_dict().keys() == state.keys()
    assert all(torch.equal(model.state_dict()[key], value) for key, value in state.items())
    assert fused.state_dict().keys() == fused_again.state_dict().keys()
    assert all(torch.equal(fused.state_dict()[key], value) for key, value in fused_again.state_dict().items())


@pytest.mark.parametrize(("config", "parameters"), [(yunet_n_config(), 75_856), (yunet_s_config(), 54_608)])
def test_original_presets_keep_parameter_counts(config: ModelConfig, parameters: int) -> None:
    assert count_parameters(YuNet(config)) == parameters


@pytest.mark.parametrize(("rep_name", "name"), [("yunet-n-rep", "yunet-n"), ("yunet-s-rep", "yunet-s")])
def test_rep_preset_fuses_to_original_layout(rep_name: str, name: str) -> None:
    fused_rep = YuNet(preset_config(rep_name)).fuse()
    fused = YuNet(preset_config(name)).fuse()

    assert count_parameters(fused_rep) == count_parameters(fused)


@pytest.mark.parametrize("name", list(PRESETS))
def test_predict_uses_official_layout(name: str) -> None:
    model = YuNet(preset_config(name)).eval()

    with torch.no_grad():
        outputs = model.predict(torch.zeros(1, 3, 64, 96)).concat()

    assert outputs.cls[0].shape == (1, 96 + 24 + 6, 1)
    assert outputs.obj[0].shape == (1, 126, 1)
    assert outputs.bbox[0].shape == (1, 126, 4)
    assert outputs.kps[0].shape == (1, 126, 10)


@pytest.mark.parametrize("name", list(PRESETS))
def test_face_detector_runs_preset_on_photo(name: str) -> None:
    image_path = require_asset("images/two_people.jpg")
    torch.manual_seed(0)
    detector = FaceDetector(YuNet(preset_config(name)), score_threshold=0.5)

    faces = detector(image_path, input_size=160)

    assert isinstance(faces, Detections)
    assert faces.boxes.shape == (len(faces), 4)
    assert faces.landmarks.shape == (len(faces), 5, 2)
    assert np.isfinite(faces.boxes).all()
    assert np.isfinite(faces.landmarks).all()


def test_config_rejects_stages_without_attention() -> None:
    with pytest.raises(pydantic.ValidationError, match="attention is 'none'"):
        ModelConfig(attention_stages=(3,))


def test_config_rejects_attention_without_stages() -> None:
    with pytest.raises(pydantic.ValidationError, match="needs attention_stages"):
        ModelConfig(attention="eca")


def test_config_rejects_attention_stage_out_of_range() -> None:
    with pytest.raises(pydantic.ValidationError, match="attention_stages must be in 1..5"):
        ModelConfig(attention="eca", attention_stages=(6,))


def test_config_rejects_fractional_simcc_bins() -> None:
    with pytest.raises(pydantic.ValidationError, match="whole number of bins"):
        ModelConfig(keypoint_branch="simcc", simcc_split_ratio=1.5, simcc_max_offset=3.0)


def test_config_rejects_unknown_option_value() -> None:
    with pytest.raises(pydantic.ValidationError):
        ModelConfig(head_kind="triple")


def test_config_defaults_are_original_architecture() -> None:
    assert ModelConfig() == yunet_n_config()
    assert yunet_n_config().model_dump()["backbone_block"] == "original"
    assert yunet_n_config().head_kind == "coupled"


def test_preset_config_rejects_unknown_name() -> None:
    with pytest.raises(ConfigError, match="yunet-n-modern"):
        preset_config("yunet-x")


def test_registry_lists_every_preset() -> None:
    for name, make in PRESETS.items():
        assert VARIANTS[name].config == make(), name
