"""Typed architecture configuration of a YuNet model.

The two official variants are `yunet_n_config()` and `yunet_s_config()`; their channel layout matches
the checkpoints of libfacedetection.train (https://github.com/ShiqiYu/libfacedetection.train).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONFIG_FORMAT_VERSION = 1


class ModelConfig(BaseModel):
    """Architecture of a YuNet face detector.

    The backbone is a stem (3x3 stride-2 convolution, then a depthwise unit) followed by stage blocks of
    two depthwise units each. Max-pooling (2x2) follows the stem and the stages listed in
    `downsample_stages`; the outputs of the last three stages feed the neck at strides 8, 16 and 32.
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
        if self.format_version > CONFIG_FORMAT_VERSION:
            raise ValueError(
                f"config format_version {self.format_version} is newer than this yunet supports "
                f"({CONFIG_FORMAT_VERSION}); upgrade yunet"
            )
        return self

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
