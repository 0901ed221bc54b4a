"""Exception hierarchy: every error the library raises on purpose derives from `YunetError`."""

from __future__ import annotations


class YunetError(Exception):
    """Base class of all errors raised by yunet on purpose."""


class ImageError(YunetError, ValueError):
    """An input image is invalid: wrong shape, dtype, value range, or empty."""


class ImageReadError(ImageError):
    """An image file is missing, unreadable, or not an image."""


class ImageTooLargeError(ImageError, MemoryError):
    """An image needs more memory than the configured limit or than is available."""


class WeightsError(YunetError):
    """Weights are missing, malformed, tampered with, or of another architecture."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """A weights file, folder, registry name or Hub repository could not be found."""


class WeightsChecksumError(WeightsError):
    """A weights file's sha256 differs from the value pinned in the registry (corrupted or tampered with)."""


class ConfigError(YunetError, ValueError):
    """A model or training configuration is invalid."""


class OfflineError(WeightsNotFoundError):
    """Weights are not in the local cache and the Hub cannot be reached (or offline mode is on)."""


class ExportError(YunetError):
    """Exporting a model (for example to ONNX) failed."""


class DatasetError(YunetError, ValueError):
    """A dataset or annotation file is malformed; the message names the file and line."""


class TrainingError(YunetError, RuntimeError):
    """A training run cannot continue (for example a NaN loss); the message names the step and batch."""


class MissingDependencyError(YunetError, ImportError):
    """An optional dependency needed by the requested feature is not installed; the message names the extra."""


class ResultIndexError(YunetError, IndexError):
    """A `Detections` index is invalid: a boolean mask of the wrong length or a non-integer array."""
