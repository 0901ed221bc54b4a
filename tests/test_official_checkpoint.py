"""Official libfacedetection checkpoints: architecture, conversion and rejection of wrong files."""

from __future__ import annotations

import pytest
import torch

from yunet.config import yunet_n_config, yunet_s_config
from yunet.errors import WeightsError, WeightsNotFoundError
from yunet.models import YuNet, count_parameters
from yunet.weights.official import convert_official_state_dict, load_official_checkpoint, read_official_checkpoint


def test_parameter_counts():
    assert count_parameters(YuNet(yunet_n_config())) == 75_856
    assert count_parameters(YuNet(yunet_s_config())) == 54_608


@pytest.mark.parametrize(("variant", "config"), [("yunet-n", yunet_n_config()), ("yunet-s", yunet_s_config())])
def test_config_inferred_from_checkpoint(variant, config, official_weights):
    model = load_official_checkpoint(official_weights[variant])

    assert model.config == config
    assert not model.training


def test_every_official_key_is_mapped(official_weights):
    state_dict = read_official_checkpoint(official_weights["yunet-n"])

    _, converted = convert_official_state_dict(state_dict)

    assert len(converted) == len(state_dict)
    assert set(converted) == set(YuNet(yunet_n_config()).state_dict())


def test_missing_checkpoint(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="not found"):
        load_official_checkpoint(tmp_path / "missing.pth")


def test_other_architecture_is_rejected(official_weights):
    with pytest.raises(WeightsError, match="do not fit"):
        load_official_checkpoint(official_weights["yunet-s"], config=yunet_n_config())


def test_foreign_state_dict_is_rejected(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save({"state_dict": {"conv1.weight": torch.zeros(8, 3, 7, 7)}}, path)

    with pytest.raises(WeightsError, match="not an official YuNet checkpoint"):
        load_official_checkpoint(path)


def test_garbage_file_is_rejected(tmp_path):
    path = tmp_path / "garbage.pth"
    path.write_bytes(b"\x00\x01 definitely not a checkpoint")

    with pytest.raises(WeightsError, match="weights_only"):
        load_official_checkpoint(path)


def test_pickled_code_is_not_run(tmp_path):
    marker = tmp_path / "ran.txt"

    class RunsCode:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "malicious.pth"
    torch.save({"state_dict": RunsCode()}, path)

    with pytest.raises(WeightsError):
        load_official_checkpoint(path)
    assert not marker.exists()


def test_non_float_weights_are_rejected(official_weights, tmp_path):
    checkpoint = torch.load(official_weights["yunet-n"], map_location="cpu", weights_only=True)
    checkpoint["state_dict"]["backbone.model0.conv1.weight"] = torch.zeros(16, 3, 3, 3, dtype=torch.int64)
    path = tmp_path / "int_weights.pth"
    torch.save({"state_dict": checkpoint["state_dict"]}, path)

    with pytest.raises(WeightsError, match="non-float"):
        load_official_checkpoint(path)


def test_nan_weights_are_rejected(official_weights, tmp_path):
    checkpoint = torch.load(official_weights["yunet-n"], map_location="cpu", weights_only=True)
    checkpoint["state_dict"]["neck.lateral_convs.0.conv1.bias"][0] = float("nan")
    path = tmp_path / "nan_weights.pth"
    torch.save({"state_dict": checkpoint["state_dict"]}, path)

    with pytest.raises(WeightsError, match="NaN"):
        load_official_checkpoint(path)
