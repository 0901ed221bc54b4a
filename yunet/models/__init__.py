"""The YuNet network and its building blocks."""

from yunet.models.head import HeadOutputs
from yunet.models.yunet import YuNet, count_parameters

__all__ = ["HeadOutputs", "YuNet", "count_parameters"]
