"""Weights: official checkpoint conversion and the model registry."""

from yunet.weights.official import load_official_checkpoint

__all__ = ["load_official_checkpoint"]
