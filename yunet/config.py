"""Typed architecture configuration of a YuNet model, and the named presets.

The two official variants are `yunet_n_config()` and `yunet_s_config()`; their channel layout matches
the checkpoints of libfacedetection.train (https://github.com/ShiqiYu/libfacedetection.train). The other
presets switch on the modern options (RepConv backbone, attention, decoupled head, DFL boxes, SimCC
keypoints); every option defaults to the original architecture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yunet.errors import ConfigError

CONFIG_FORMAT_VERSION = 1


class ModelConfig(BaseModel):
    """Architecture of a YuNet face detector.

    The backbone is a stem (3x3 stride-2 convolution, then a depthwise unit) followed by stage blocks of
    two depthwise units each. Max-pooling (2x2) follows the stem and the stages listed in
    `downsample_stages`. The outputs of the last three stages feed the neck at strides 8, 16 and 32.

    The options after `strides` select the modern variants; their defaults give the original YuNet, so
    configs and checkpoints written before they existed build the same network.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stem_channels: tuple[int, int] = Field(
        (16, 16), description="Output channels of the stem's 3x3 convolution and of its depthwise unit."
    )
    stage_channels: tuple[tuple[int, int], ...] = Field(
        ((16, 64), (64, 64), (64, 64), (64, 64), (64, 64)),
        description="(in_channels, out_channels) of each stage block after the stem.",
    )
    downsample_stages: tuple[int, ...] = Field(
        (2, 3, 4),
        description="1-based stage indices followed by a 2x2 max-pool (the stem is always followed by one).",
    )
    neck_channels: int = Field(64, description="Channels of every TinyFPN level (equal to the last three stages').")
    head_channels: int = Field(64, description="Channels of the shared head units.")
    num_shared_head_units: int = Field(
        1, description="Depthwise units shared by the four branches of each level's head (0 for yunet-s)."
    )
    num_keypoints: int = Field(5, description="Landmarks per face: right eye, left eye, nose tip, mouth corners.")
    strides: tuple[int, ...] = Field((8, 16, 32), description="Downsampling factor of each output level, in pixels.")
    backbone_block: Literal["original", "repconv"] = Field(
        "original",
        description=(
            "Backbone convolutions: 'original' depthwise units, or 'repconv', where every 3x3 convolution with "
            "BatchNorm (stem and depthwise units) is a RepVGG-style RepConv that fuse() merges into one."
        ),
    )
    attention: Literal["none", "coordinate", "eca"] = Field(
        "none",
        description="Attention applied to the outputs of `attention_stages`: coordinate attention or ECA.",
    )
    attention_stages: tuple[int, ...] = Field(
        (), description="1-based stage indices whose output goes through `attention`; empty when it is 'none'."
    )
    attention_reduction: int = Field(
        8, description="Channel reduction of coordinate attention's shared 1x1 convolution (unused by ECA)."
    )
    head_kind: Literal["coupled", "decoupled"] = Field(
        "coupled",
        description=(
            "'coupled': the four branches read the shared units' output directly (original). 'decoupled': "
            "after the shared units, a classification tower feeds cls and a regression tower feeds obj, bbox "
            "and kps."
        ),
    )
    decoupled_tower_units: int = Field(
        1, description="Depthwise units (with BatchNorm and ReLU) in each tower of a decoupled head."
    )
    box_branch: Literal["direct", "dfl"] = Field(
        "direct",
        description=(
            "'direct': deltas (dx, dy, dw, dh) decoded with exp (original). 'dfl': each of the distances "
            "(l, t, r, b) from the cell centre is a distribution over `dfl_reg_max + 1` bins, decoded as "
            "its expectation."
        ),
    )
    dfl_reg_max: int = Field(
        16, description="Largest distance of a DFL bin, in stride units; bins are 0, 1, ..., dfl_reg_max."
    )
    keypoint_branch: Literal["direct", "simcc"] = Field(
        "direct",
        description=(
            "'direct': offsets regressed per coordinate (original). 'simcc': each coordinate is a "
            "classification over bins `simcc_split_ratio` per stride, decoded as the expectation."
        ),
    )
    simcc_split_ratio: float = Field(
        2.0, description="SimCC bins per stride unit (SimCC's splitting factor k); the bin width is 1 / k."
    )
    simcc_max_offset: float = Field(
        4.0,
        description=(
            "Half-width of the SimCC range in stride units: bins cover offsets from the cell centre in "
            "[-simcc_max_offset, simcc_max_offset]; farther landmarks decode to the edge."
        ),
    )
    format_version: int = Field(CONFIG_FORMAT_VERSION, description="Version of this configuration format.")

    @field_validator("stem_channels", "stage_channels", "neck_channels", "head_channels")
    @classmethod
    def _positive_channels(cls, value: object) -> object:
        flat: list[int] = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, (tuple, list)):
                stack.extend(item)
            else:
                flat.append(int(item))  # type: ignore[arg-type]
        if any(channels <= 0 for channels in flat):
            raise ValueError(f"channel counts must be positive, got {value!r}")
        return value

    @field_validator("num_shared_head_units")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"num_shared_head_units must be >= 0, got {value}")
        return value

    @field_validator("attention_reduction", "decoupled_tower_units", "dfl_reg_max")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be a positive integer, got {value}")
        return value

    @field_validator("simcc_split_ratio", "simcc_max_offset")
    @classmethod
    def _positive_float(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"must be positive, got {value}")
        return value

    @model_validator(mode="after")
    def _check_layout(self) -> ModelConfig:
        if len(self.strides) != 3:
            raise ValueError(f"YuNet has three output levels, got strides {self.strides}")
        if len(self.stage_channels) < 3:
            raise ValueError("at least three stage blocks are needed to feed the three output levels")
        if self.stage_channels[0][0] != self.stem_channels[1]:
            raise ValueError(
                f"the first stage takes {self.stage_channels[0][0]} channels but the stem gives {self.stem_channels[1]}"
            )
        for index in range(1, len(self.stage_channels)):
            if self.stage_channels[index][0] != self.stage_channels[index - 1][1]:
                raise ValueError(
                    f"stage {index + 1} takes {self.stage_channels[index][0]} channels but stage {index} gives "
                    f"{self.stage_channels[index - 1][1]}"
                )
        for channels in self.stage_channels[-3:]:
            if channels[1] != self.neck_channels:
                raise ValueError(
                    f"the last three stages must give neck_channels={self.neck_channels}, got {self.stage_channels[-3:]}"
                )
        num_stages = len(self.stage_channels)
        if any(not 1 <= stage <= num_stages for stage in self.downsample_stages):
            raise ValueError(f"downsample_stages must be in 1..{num_stages}, got {self.downsample_stages}")
        expected = tuple(2 ** (2 + sum(1 for d in self.downsample_stages if d < s)) for s in range(num_stages - 2, num_stages + 1))
        if expected != self.strides:
            raise ValueError(f"downsample_stages {self.downsample_stages} give strides {expected}, not {self.strides}")
        self._check_modern_options()
        if self.format_version > CONFIG_FORMAT_VERSION:
            raise ValueError(
                f"config format_version {self.format_version} is newer than this yunet supports "
                f"({CONFIG_FORMAT_VERSION}); upgrade yunet"
            )
        return self

    def _check_modern_options(self) -> None:
        num_stages = len(self.stage_channels)
        if self.attention == "none" and self.attention_stages:
            raise ValueError(f"attention_stages {self.attention_stages} given but attention is 'none'; set attention")
        if self.attention != "none" and not self.attention_stages:
            raise ValueError(f"attention {self.attention!r} needs attention_stages, e.g. (3, 4, 5)")
        if any(not 1 <= stage <= num_stages for stage in self.attention_stages):
            raise ValueError(f"attention_stages must be in 1..{num_stages}, got {self.attention_stages}")
        if len(set(self.attention_stages)) != len(self.attention_stages):
            raise ValueError(f"attention_stages must not repeat a stage, got {self.attention_stages}")
        bins_per_side = self.simcc_max_offset * self.simcc_split_ratio
        if abs(bins_per_side - round(bins_per_side)) > 1e-6:
            raise ValueError(
                f"simcc_max_offset * simcc_split_ratio must be a whole number of bins, got "
                f"{self.simcc_max_offset} * {self.simcc_split_ratio}"
            )

    @property
    def num_simcc_bins(self) -> int:
        """SimCC bins per coordinate: `2 * simcc_max_offset * simcc_split_ratio + 1`, centred on the cell centre."""
        return 2 * round(self.simcc_max_offset * self.simcc_split_ratio) + 1

    @property
    def max_stride(self) -> int:
        """Largest stride; input height and width must be multiples of it."""
        return max(self.strides)


def yunet_n_config() -> ModelConfig:
    """Return the configuration of the official yunet-n (75,856 parameters)."""
    return ModelConfig()


def yunet_s_config() -> ModelConfig:
    """Return the configuration of the official yunet-s (54,608 parameters)."""
    return ModelConfig(
        stage_channels=((16, 32), (32, 64), (64, 64), (64, 64), (64, 64)),
        num_shared_head_units=0,
    )


def yunet_n_rep_config() -> ModelConfig:
    """Return yunet-n with a RepConv backbone: more parameters in training, the same network once fused."""
    return ModelConfig(backbone_block="repconv")


def yunet_s_rep_config() -> ModelConfig:
    """Return yunet-s with a RepConv backbone: more parameters in training, the same network once fused."""
    return ModelConfig(
        stage_channels=((16, 32), (32, 64), (64, 64), (64, 64), (64, 64)),
        num_shared_head_units=0,
        backbone_block="repconv",
    )


def yunet_n_modern_config() -> ModelConfig:
    """Return yunet-n with every modern option: RepConv backbone, coordinate attention after the three
    output stages, decoupled head, DFL boxes and SimCC keypoints."""
    return ModelConfig(
        backbone_block="repconv",
        attention="coordinate",
        attention_stages=(3, 4, 5),
        head_kind="decoupled",
        box_branch="dfl",
        keypoint_branch="simcc",
    )


# Preset name (as in the weights registry) -> function building its config.
PRESETS: dict[str, Callable[[], ModelConfig]] = {
    "yunet-n": yunet_n_config,
    "yunet-s": yunet_s_config,
    "yunet-n-rep": yunet_n_rep_config,
    "yunet-s-rep": yunet_s_rep_config,
    "yunet-n-modern": yunet_n_modern_config,
}


def preset_config(name: str) -> ModelConfig:
    """Return the config of the preset called `name`.

    Raises:
        ConfigError: if no preset has that name; the message lists the known names.
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown model preset {name!r}; known presets: {sorted(PRESETS)}")
    return PRESETS[name]()
