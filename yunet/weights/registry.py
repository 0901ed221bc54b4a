"""Variant table: registry name -> Hub repository, pinned revision, file sha256 values and architecture.

The table is plain data. `yunet.weights.loading.load_model` reads it to resolve names such as "yunet-n";
nothing here builds objects from strings. A variant without published weights (a preset for training) has
no repository and no files.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yunet.config import (
    ModelConfig,
    yunet_n_config,
    yunet_n_modern_config,
    yunet_n_rep_config,
    yunet_s_config,
    yunet_s_rep_config,
)
from yunet.errors import WeightsNotFoundError

_SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


def _check_sha256(value: str) -> str:
    if not _SHA256_PATTERN.fullmatch(value):
        raise ValueError(f"expected a sha256 as 64 lowercase hex digits, got {value!r}")
    return value


class OfficialCheckpoint(BaseModel):
    """An official libfacedetection.train `.pth` file that contains a variant's weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str = Field(description="File name in libfacedetection.train's `weights/` folder, e.g. `yunet_n.pth`.")
    sha256: str = Field(description="sha256 of the file, as 64 lowercase hex digits.")

    _sha256_is_hex = field_validator("sha256")(_check_sha256)


class Variant(BaseModel):
    """One registry entry: where a variant's weights live on the Hub and what their files must hash to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Registry name passed to `from_pretrained`, e.g. `yunet-n`.")
    description: str = Field(description="One line for listings and error messages.")
    config: ModelConfig = Field(description="Architecture of the variant; the weights must fit it.")
    repo_id: str | None = Field(None, description="Hub model repository `namespace/name`; None without weights.")
    revision: str | None = Field(None, description="Pinned Hub revision (tag or commit) the sha256 values belong to.")
    files: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "sha256 (64 lowercase hex digits) of the weights files, by file name. `config.json` is checked by "
            "content instead: it must decode to `config`, so a config field added later with a default does not "
            "invalidate published files."
        ),
    )
    official_checkpoint: OfficialCheckpoint | None = Field(
        None, description="The official `.pth` the Hub files were converted from, if any."
    )

    @field_validator("files")
    @classmethod
    def _files_are_sha256(cls, files: dict[str, str]) -> dict[str, str]:
        for digest in files.values():
            _check_sha256(digest)
        return files

    @model_validator(mode="after")
    def _repository_is_complete(self) -> Variant:
        has_repository = self.repo_id is not None
        if has_repository != (self.revision is not None) or has_repository != bool(self.files):
            raise ValueError(
                f"variant {self.name!r}: give repo_id, revision and files together (or none of them for a "
                "variant without weights)"
            )
        return self

    @property
    def has_weights(self) -> bool:
        """Whether the variant has published weights (on the Hub, or as an official checkpoint)."""
        return self.repo_id is not None or self.official_checkpoint is not None


# NOTE: the yunet-org repositories are not published yet. Each revision is the tag that
# `yunet hub upload OUT_DIR REPO_ID --tag v1` creates; after publishing, pinning the commit hash instead lets
# huggingface_hub resolve cached files without a network round trip. The sha256 values are those of the
# model.safetensors files `yunet convert` writes from the official checkpoints (byte-for-byte reproducible).
VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            name="yunet-n",
            description="official YuNet-n of libfacedetection.train (75,856 parameters)",
            config=yunet_n_config(),
            repo_id="yunet-org/yunet-n",
            revision="v1",
            files={
                "model.safetensors": "9e08dff4d99872d5c39c764bf637c95a379845b9d56073556d2eddd9787287a8",
            },
            official_checkpoint=OfficialCheckpoint(
                filename="yunet_n.pth", sha256="9c7c9e14a4d60e57491d77e4d8b0d451bd834f300e05c0dea7fd1f6533817b06"
            ),
        ),
        Variant(
            name="yunet-s",
            description="official YuNet-s of libfacedetection.train (54,608 parameters)",
            config=yunet_s_config(),
            repo_id="yunet-org/yunet-s",
            revision="v1",
            files={
                "model.safetensors": "0e25c8d8b6011bfbf20b81cdc3a064dfe2366f1916118cc9fa2c9e5c1c66610d",
            },
            official_checkpoint=OfficialCheckpoint(
                filename="yunet_s.pth", sha256="f2688fecd5aef7d204d04ca12ff377b724978abbe5955740bc67280d99ffe4d6"
            ),
        ),
        Variant(
            name="yunet-n-rep",
            description="yunet-n with a RepConv backbone (training preset, no weights yet)",
            config=yunet_n_rep_config(),
        ),
        Variant(
            name="yunet-s-rep",
            description="yunet-s with a RepConv backbone (training preset, no weights yet)",
            config=yunet_s_rep_config(),
        ),
        Variant(
            name="yunet-n-modern",
            description=(
                "yunet-n with RepConv, coordinate attention, decoupled head, DFL boxes and SimCC keypoints "
                "(training preset, no weights yet)"
            ),
            config=yunet_n_modern_config(),
        ),
    )
}


def get_variant(name: str) -> Variant:
    """Return the registry entry called `name`.

    Raises:
        WeightsNotFoundError: if no variant has that name; the message lists the known names.
    """
    try:
        return VARIANTS[name]
    except KeyError:
        raise WeightsNotFoundError(f"unknown variant {name!r}; known variants: {sorted(VARIANTS)}") from None


def find_variant_by_repo(repo_id: str) -> Variant | None:
    """Return the variant whose Hub repository is `repo_id`, or None if the registry does not list it."""
    for variant in VARIANTS.values():
        if variant.repo_id == repo_id:
            return variant
    return None
