"""The YuNet face detection network: backbone, TinyFPN neck and anchor-free head.

Reference: W. Wu, H. Peng, S. Yu, "YuNet: A Tiny Millisecond-level Face Detector", Machine Intelligence
Research, 2023; code at https://github.com/ShiqiYu/libfacedetection.train.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import ModelCard, PyTorchModelHubMixin
from torch import nn

from yunet.config import ModelConfig
from yunet.models.backbone import Backbone
from yunet.models.head import DistributionHeadOutputs, HeadOutputs, YuNetHead
from yunet.models.neck import TinyFPN

logger = logging.getLogger(__name__)


class YuNet(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="yunet",
    pipeline_tag="object-detection",
    tags=["face-detection", "yunet"],
):
    """YuNet network.

    Input: float32 `(B, 3, H, W)`, BGR channel order, raw 0-255 values (no mean or std), H and W multiples
    of 32. Output: `HeadOutputs` with raw logits and offsets per level; `yunet.ops.decode` turns them into
    boxes. The same type is returned in train and eval mode.

    `save_pretrained(folder)` and `push_to_hub(repo_id)` come from `huggingface_hub.PyTorchModelHubMixin`
    and write the Hub format of `yunet.weights.hub`; `from_pretrained` resolves names with
    `yunet.weights.loading.load_model`.

    Example:
        >>> model = YuNet(yunet_n_config()).eval()
        >>> outputs = model(torch.zeros(1, 3, 320, 320))
        >>> [tuple(t.shape) for t in outputs.bbox]
        [(1, 1600, 4), (1, 400, 4), (1, 100, 4)]
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = Backbone(config)
        self.neck = TinyFPN(config.neck_channels, num_levels=len(config.strides))
        self.head = YuNetHead(config)
        self.is_fused = False

    def forward(self, images: torch.Tensor) -> HeadOutputs | DistributionHeadOutputs:
        """Run the network and return the raw training outputs.

        Returns:
            `HeadOutputs` when the box and keypoint branches are direct (the original head), else
            `DistributionHeadOutputs`, which adds the DFL and SimCC logits to the official-layout fields.
        """
        features = self.backbone(images)  # strides 8, 16, 32
        features = self.neck(features)
        return self.head(features)

    def predict(self, images: torch.Tensor) -> HeadOutputs:
        """Run the network and return outputs in the official YuNet layout, whatever the head kind.

        The official layout is what `FaceDetector`, the ONNX export and OpenCV's `FaceDetectorYN` decode:
        per level, `cls` and `obj` logits `(B, H_l*W_l, 1)`, `bbox` deltas `(dx, dy, dw, dh)` and `kps` offsets
        `(B, H_l*W_l, 2K)`, all in stride units relative to the cell's top-left corner. DFL boxes and SimCC
        landmarks are converted to that layout from their distributions' expectations.
        """
        outputs = self.forward(images)
        if isinstance(outputs, DistributionHeadOutputs):
            return outputs.official()
        return outputs

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls, name_or_path: str | os.PathLike[str], *, revision: str | None = None, **options: Any
    ) -> YuNet:
        """Load a model from a registry name, Hub repo id, Hub-format folder or official `.pth` checkpoint.

        See `yunet.weights.loading.load_model` for the arguments and errors.
        """
        from yunet.weights.loading import load_model  # yunet.weights imports this module, so import lazily

        return load_model(name_or_path, revision=revision, **options)

    def _save_pretrained(self, save_directory: Path) -> None:
        from yunet.weights.hub import write_model_files

        write_model_files(self, save_directory)

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        """Build the model card; `kwargs` are those of `yunet.weights.hub.build_model_card`."""
        from yunet.weights.hub import build_model_card

        return build_model_card(self, **kwargs)

    def fuse(self) -> YuNet:
        """Return an inference copy in eval mode with every BatchNorm folded into its convolution and every
        RepConv merged into one convolution.

        The original model is left unchanged. Fused and unfused outputs agree to float32 rounding.
        Calling `fuse()` on a fused model returns a copy of it.
        """
        fused = copy.deepcopy(self).eval()
        if not fused.is_fused:
            fused.backbone.fuse()
            fused.neck.fuse()
            fused.head.fuse()
            fused.is_fused = True
            logger.debug("fused YuNet: BatchNorm folded into convolutions, RepConv branches merged")
        return fused


def count_parameters(model: nn.Module) -> int:
    """Count the learnable parameters of `model` (BatchNorm running statistics excluded)."""
    return sum(parameter.numel() for parameter in model.parameters())
