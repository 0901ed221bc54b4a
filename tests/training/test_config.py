"""Tests of the training config: recipe files, overrides and validation messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from yunet.errors import ConfigError
from yunet.training.__main__ import main
from yunet.training.config import load_config

RECIPES = Path(__file__).resolve().parents[2] / "training"


@pytest.mark.parametrize("name", ["yunet_n.yaml", "yunet_s.yaml"])
def test_recipe_files_hold_original_values(name) -> None:
    config = load_config(RECIPES / name)
    assert config.optimizer.lr == 0.01
    assert config.optimizer.momentum == 0.9
    assert config.optimizer.weight_decay == 5e-4
    assert config.batch_size == 16
    assert config.epochs == 640
    assert config.schedule.milestones == (400, 544)
    assert config.schedule.warmup_iters == 1500
    assert config.schedule.warmup_ratio == 0.001
    assert config.data.crop_scales == (0.5, 0.7, 0.9, 1.1, 1.3, 1.5)
    assert config.data.input_size == 640
    assert config.assigner.center_radius == 2.5
    assert config.loss.bbox_weight == 5.0
    assert config.loss.kps_weight == 0.1
    assert config.loss.kps_beta == pytest.approx(1 / 9)


def test_override_sets_nested_field() -> None:
    config = load_config(RECIPES / "yunet_n.yaml", ["optimizer.lr=0.005", "data.crop_scales=[1.0]", "eval.images=null", "eval.gt=null"])
    assert config.optimizer.lr == 0.005
    assert config.data.crop_scales == (1.0,)
    assert config.eval.images is None


def test_invalid_field_named_in_error() -> None:
    with pytest.raises(ConfigError, match=r"data\.input_size: .*multiple of 32"):
        load_config(RECIPES / "yunet_n.yaml", ["data.input_size=100"])
    with pytest.raises(ConfigError, match=r"optimizer\.learning_rate: Extra inputs"):
        load_config(RECIPES / "yunet_n.yaml", ["optimizer.learning_rate=0.1"])


def test_override_without_equals_rejected() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        load_config(RECIPES / "yunet_n.yaml", ["optimizer.lr"])


def test_cli_print_config(capsys) -> None:
    assert main(["--config", str(RECIPES / "yunet_s.yaml"), "--print-config"]) == 0
    assert '"model": "yunet-s"' in capsys.readouterr().out
