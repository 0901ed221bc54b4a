"""Evaluation of face detectors: the official WIDER FACE protocol (`python -m yunet.eval widerface`)."""

from yunet.eval.widerface import WiderFaceGroundTruth, WiderFaceResult, evaluate, load_ground_truth

__all__ = ["WiderFaceGroundTruth", "WiderFaceResult", "evaluate", "load_ground_truth"]
