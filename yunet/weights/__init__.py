"""Weights: official checkpoint conversion, the variant registry and the Hugging Face Hub format."""

from yunet.weights.loading import WEIGHTS_DIR_ENV, load_model
from yunet.weights.official import load_official_checkpoint
from yunet.weights.registry import VARIANTS, Variant

__all__ = ["VARIANTS", "WEIGHTS_DIR_ENV", "Variant", "load_model", "load_official_checkpoint"]
