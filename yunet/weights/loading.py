"""`load_model`: resolve a registry name, Hub repo id, Hub-format folder or official `.pth` to a `YuNet`.

Hub files are fetched with `huggingface_hub.hf_hub_download`, so its cache (`HF_HOME`, `HF_HUB_CACHE`), offline
mode (`HF_HUB_OFFLINE=1`), endpoint (`HF_ENDPOINT`) and revisions apply. The weights of a registry variant are
checked against the sha256 the registry pins, and its config against the registry's architecture. Only
safetensors weights are read from the Hub; official `.pth` checkpoints on disk are read with
`torch.load(weights_only=True)`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from huggingface_hub import hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from yunet.errors import OfflineError, WeightsChecksumError, WeightsError, WeightsNotFoundError
from yunet.models import YuNet
from yunet.weights import hub
from yunet.weights.official import load_official_checkpoint
from yunet.weights.registry import VARIANTS, Variant, find_variant_by_repo

logger = logging.getLogger(__name__)

WEIGHTS_DIR_ENV = "YUNET_WEIGHTS_DIR"
"""Environment variable naming a local folder searched before the Hub for registry names.

For a variant such as "yunet-n" the folder may contain a Hub-format folder `yunet-n/` (from `yunet convert`)
or the official checkpoint `yunet_n.pth`. Both are checked against the registry (the weights by sha256, the architecture by content).
"""

_CHECKPOINT_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")


def load_model(
    name_or_path: str | os.PathLike[str],
    *,
    revision: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
    local_files_only: bool = False,
    token: str | bool | None = None,
) -> YuNet:
    """Load a `YuNet` (unfused, eval mode) from any source users name weights by.

    Resolution order:
    1. an existing local path: a Hub-format folder, or an official libfacedetection `.pth` checkpoint;
    2. a registry name ("yunet-n", "yunet-s"), looked up first in the folder named by `YUNET_WEIGHTS_DIR`,
       then on the Hub at the pinned revision;
    3. a Hub repo id `namespace/name`.

    Args:
        name_or_path: a registry name, Hub repo id, local folder or `.pth` file.
        revision: Hub branch, tag or commit; None uses the registry's pinned revision for a registry name and
            `main` for any other repo id. Ignored for local paths.
        cache_dir: huggingface_hub cache folder; None uses `HF_HUB_CACHE` (by default `$HF_HOME/hub`).
        force_download: download again even if the files are cached (replaces a damaged cached file).
        local_files_only: use only the huggingface_hub cache, like `HF_HUB_OFFLINE=1`.
        token: Hub token for private repositories; None uses the token saved by `hf auth login`.

    Returns:
        The model in eval mode on the CPU.

    Raises:
        WeightsNotFoundError: if the path, name, repository, revision or file does not exist.
        OfflineError: if the Hub cannot be reached (or offline mode is on) and the files are not cached.
        WeightsChecksumError: if a registry variant's weights file has another sha256 than the registry pins.
        WeightsError: if a file is malformed or pickled code, or a registry variant's config.json describes
            another architecture than the registry's.

    Example:
        >>> model = load_model("yunet-n")  # Hub download, cached afterwards
        >>> model = load_model("checkpoints/yunet_n.pth")  # official checkpoint on disk
    """
    path = Path(name_or_path)
    if path.exists():
        return _load_local(path)
    name = str(name_or_path)
    hub_options = {
        "cache_dir": cache_dir,
        "force_download": force_download,
        "local_files_only": local_files_only,
        "token": token,
    }
    if name in VARIANTS:
        return _load_variant(VARIANTS[name], revision=revision, **hub_options)
    if _is_hub_repo_id(name):
        variant = find_variant_by_repo(name)
        if variant is not None:
            return _load_variant(variant, revision=revision, use_weights_dir=False, **hub_options)
        return _load_from_hub(name, revision=revision, expected_sha256=None, **hub_options)
    raise WeightsNotFoundError(
        f"{name!r} is neither an existing file or folder, nor a registry name {sorted(VARIANTS)}, nor a Hub repo "
        "id of the form 'namespace/name'"
    )


def _is_hub_repo_id(name: str) -> bool:
    if name.count("/") != 1 or name.lower().endswith(_CHECKPOINT_SUFFIXES + (".safetensors", ".json")):
        return False
    try:
        from huggingface_hub.utils import validate_repo_id

        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def _load_local(path: Path) -> YuNet:
    if path.is_dir():
        model = hub.load_hub_folder(path)
    elif path.suffix == ".safetensors":
        raise WeightsError(
            f"{str(path)!r} is a bare safetensors file; pass the folder that contains it and its {hub.CONFIG_FILENAME}"
        )
    else:
        model = load_official_checkpoint(path)
    logger.info("loaded weights from %s", path)
    return model


def _load_variant(
    variant: Variant,
    *,
    revision: str | None,
    use_weights_dir: bool = True,
    **hub_options: object,
) -> YuNet:
    if not variant.has_weights:
        raise WeightsNotFoundError(
            f"variant {variant.name!r} has no published weights; build an untrained model with "
            f"`YuNet(VARIANTS[{variant.name!r}].config)` and train it, or load a checkpoint by path"
        )
    if use_weights_dir and revision is None:
        model = _load_from_weights_dir(variant)
        if model is not None:
            return _check_architecture(model, variant, source=os.environ[WEIGHTS_DIR_ENV])
    if variant.repo_id is None:
        raise WeightsNotFoundError(
            f"variant {variant.name!r} is available only as the official checkpoint "
            f"{variant.official_checkpoint.filename if variant.official_checkpoint else ''!r}; put it in the folder "
            f"named by {WEIGHTS_DIR_ENV} or pass its path"
        )
    pinned = revision is None or revision == variant.revision
    if not pinned:
        logger.warning(
            "%s: revision %r differs from the registry's pinned revision %r, so the files are not checked against "
            "the registry's sha256 values",
            variant.name,
            revision,
            variant.revision,
        )
    model = _load_from_hub(
        variant.repo_id,
        revision=variant.revision if pinned else revision,
        expected_sha256=variant.files if pinned else None,
        **hub_options,
    )
    return _check_architecture(model, variant, source=variant.repo_id) if pinned else model


def _check_architecture(model: YuNet, variant: Variant, *, source: str) -> YuNet:
    if model.config != variant.config:
        raise WeightsError(
            f"the {variant.name} weights in {source} have an architecture that differs from the registry's: "
            f"{model.config} instead of {variant.config}; the config.json was changed or belongs to another variant"
        )
    return model


def _load_from_weights_dir(variant: Variant) -> YuNet | None:
    """Load `variant` from the folder named by `YUNET_WEIGHTS_DIR`, or return None if it is not there."""
    root = os.environ.get(WEIGHTS_DIR_ENV)
    if not root:
        return None
    folder = Path(root) / variant.name
    if (folder / hub.CONFIG_FILENAME).is_file():
        for filename, expected in variant.files.items():
            _check_sha256(folder / filename, expected, file_label=f"{variant.name} file {filename}")
        logger.info("loading %s from %s (%s)", variant.name, folder, WEIGHTS_DIR_ENV)
        return hub.load_hub_folder(folder)
    if variant.official_checkpoint is not None:
        checkpoint = Path(root) / variant.official_checkpoint.filename
        if checkpoint.is_file():
            _check_sha256(checkpoint, variant.official_checkpoint.sha256, file_label=f"official {variant.name} checkpoint")
            logger.info("loading %s from %s (%s)", variant.name, checkpoint, WEIGHTS_DIR_ENV)
            return load_official_checkpoint(checkpoint, config=variant.config)
    logger.info("%s=%s contains no %s weights; trying the Hub", WEIGHTS_DIR_ENV, root, variant.name)
    return None


def _load_from_hub(
    repo_id: str,
    *,
    revision: str | None,
    expected_sha256: dict[str, str] | None,
    **hub_options: object,
) -> YuNet:
    paths = {}
    for filename in hub.MODEL_FILES:
        paths[filename] = _download(repo_id, filename, revision=revision, **hub_options)
        if expected_sha256 is not None and filename in expected_sha256:
            _check_sha256(paths[filename], expected_sha256[filename], file_label=f"{repo_id}@{revision} file {filename}")
    model = hub.read_model_files(paths[hub.CONFIG_FILENAME], paths[hub.WEIGHTS_FILENAME])
    logger.info("loaded %s at revision %s", repo_id, revision or "main")
    return model


def _download(repo_id: str, filename: str, *, revision: str | None, **hub_options: object) -> Path:
    """Fetch one file with `hf_hub_download` and turn its errors into `YunetError` subclasses."""
    location = f"{filename!r} of Hub repository {repo_id!r} at revision {revision or 'main'!r}"
    try:
        return Path(hf_hub_download(repo_id, filename, revision=revision, **hub_options))  # type: ignore[arg-type]
    except LocalEntryNotFoundError as error:
        raise OfflineError(
            f"cannot download {location}: the Hub is unreachable or offline mode is on, and the file is not in the "
            f"huggingface_hub cache ({error}). To work offline, either download once with network access and then "
            f"set HF_HUB_OFFLINE=1, or pass a local folder written by `save_pretrained` / `yunet convert` (for a "
            f"registry name, set {WEIGHTS_DIR_ENV} to a folder holding that folder or the official .pth file)"
        ) from error
    except (RepositoryNotFoundError, GatedRepoError) as error:
        raise WeightsNotFoundError(
            f"cannot download {location}: the repository does not exist or needs access rights; check the id, "
            "or log in with `hf auth login` for a private repository"
        ) from error
    except RevisionNotFoundError as error:
        raise WeightsNotFoundError(f"cannot download {location}: the revision does not exist") from error
    except EntryNotFoundError as error:
        raise WeightsNotFoundError(
            f"cannot download {location}: the repository has no such file. yunet reads only {hub.MODEL_FILES} "
            "and never loads pickled weights (pytorch_model.bin, .pth) from the Hub"
        ) from error
    except HfHubHTTPError as error:
        raise WeightsError(f"cannot download {location}: {error}") from error


def _check_sha256(path: Path, expected: str, *, file_label: str) -> None:
    actual = hub.sha256_of_file(path)
    if actual != expected:
        raise WeightsChecksumError(
            f"{file_label} at {str(path)!r} has sha256 {actual}, but the registry pins {expected}: the file is corrupted "
            "or was tampered with. Delete it (or load with force_download=True) and try again"
        )
