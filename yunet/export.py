"""ONNX export of a fused YuNet with the official libfacedetection output layout.

The exported graph has one input `input`, float32 `(B, 3, H, W)`, BGR, raw 0-255 values, and twelve outputs
`cls_8, cls_16, cls_32, obj_8, obj_16, obj_32, bbox_8, ..., kps_32`, each `(B, H/s * W/s, C)` with C = 1, 1, 4
and 10. `cls` and `obj` are probabilities (the sigmoid is part of the graph). That is the layout of the official
`yunet_n_dynamic.onnx` and what OpenCV's `cv2.FaceDetectorYN` decodes.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from yunet.errors import ExportError
from yunet.models import YuNet

logger = logging.getLogger(__name__)

DEFAULT_OPSET = 11  # the official ONNX files use opset 11; OpenCV 4.x and 5.x and onnxruntime read it
INPUT_NAME = "input"
OUTPUT_KINDS = ("cls", "obj", "bbox", "kps")


def output_names(strides: tuple[int, ...] = (8, 16, 32)) -> list[str]:
    """Return the twelve official output names, `cls_8, cls_16, cls_32, obj_8, ..., kps_32`."""
    return [f"{kind}_{stride}" for kind in OUTPUT_KINDS for stride in strides]


class OfficialLayout(nn.Module):
    """Wrap a fused YuNet so that `forward` returns the twelve official outputs as a flat tuple.

    `cls` and `obj` go through a sigmoid, `bbox` and `kps` are the raw offsets in stride units.
    """

    def __init__(self, model: YuNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outputs = self.model.predict(images)
        cls_probs = [torch.sigmoid(logits) for logits in outputs.cls]
        obj_probs = [torch.sigmoid(logits) for logits in outputs.obj]
        return (*cls_probs, *obj_probs, *outputs.bbox, *outputs.kps)


def export_onnx(
    model: YuNet,
    path: str | os.PathLike[str],
    *,
    dynamic: bool = True,
    static: tuple[int, int] | None = None,
    opset: int = DEFAULT_OPSET,
    batch_size: int = 1,
) -> Path:
    """Export the fused `model` to ONNX with the official output names and shapes.

    Args:
        model: a YuNet (fused or not; a fused copy is exported and `model` is left unchanged).
        path: the `.onnx` file to write; its parent folder is created.
        dynamic: export with symbolic batch, height and width (`batch`, `height`, `width`), so the file runs at
            any batch size and any input size that is a multiple of 32. Ignored when `static` is given.
        static: `(W, H)` in pixels, multiples of 32: export a fixed `(batch_size, 3, H, W)` input instead.
        opset: ONNX opset version.
        batch_size: batch dimension of a static export.

    Returns:
        The path written.

    Raises:
        ExportError: if `static` is not a pair of positive multiples of 32, or the exporter fails.

    Example:
        >>> export_onnx(YuNet(yunet_n_config()), "yunet_n_640x640.onnx", static=(640, 640))
    """
    max_stride = model.config.max_stride
    if static is not None:
        width, height = _check_static_size(static, max_stride)
        dynamic = False
    else:
        width, height = 640, 640
    if batch_size < 1:
        raise ExportError(f"batch_size must be a positive integer, got {batch_size}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _export(model, str(path), dynamic=dynamic, width=width, height=height, opset=opset, batch_size=batch_size)
    kind = "dynamic" if dynamic else f"static {width}x{height}"
    logger.info("wrote %s ONNX model to %s (opset %d)", kind, path, opset)
    return path


def export_onnx_bytes(model: YuNet, *, opset: int = DEFAULT_OPSET) -> bytes:
    """Export the fused `model` as a dynamic ONNX graph held in memory; the layout is `export_onnx`'s."""
    buffer = io.BytesIO()
    _export(model, buffer, dynamic=True, width=640, height=640, opset=opset, batch_size=1)
    return buffer.getvalue()


def _export(
    model: YuNet, target: str | io.BytesIO, *, dynamic: bool, width: int, height: int, opset: int, batch_size: int
) -> None:
    wrapper = OfficialLayout(model.fuse()).eval()
    names = output_names(model.config.strides)
    example = torch.zeros(batch_size, 3, height, width)
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {INPUT_NAME: {0: "batch", 2: "height", 3: "width"}}
        dynamic_axes.update({name: {0: "batch", 1: f"cells_{name.split('_')[1]}"} for name in names})
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter warns that it is deprecated in favour of the dynamo one, which needs the
            # extra `onnxscript` package; the graph it writes is the same plain opset-11 graph as the official one.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            torch.onnx.export(
                wrapper,
                (example,),
                target,
                input_names=[INPUT_NAME],
                output_names=names,
                opset_version=opset,
                dynamic_axes=dynamic_axes,
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as error:  # the exporter raises many unrelated types
        raise ExportError(f"ONNX export failed at opset {opset}: {error}") from error


def _check_static_size(size: tuple[int, int], max_stride: int) -> tuple[int, int]:
    if len(size) != 2:
        raise ExportError(f"static size must be (width, height), got {size!r}")
    width, height = int(size[0]), int(size[1])
    if width < max_stride or height < max_stride or width % max_stride or height % max_stride:
        raise ExportError(
            f"static size must be positive multiples of {max_stride} pixels, got {width}x{height}; "
            f"round it up, for example to {-(-max(width, 1) // max_stride) * max_stride}x"
            f"{-(-max(height, 1) // max_stride) * max_stride}"
        )
    return width, height


def parse_size(text: str) -> tuple[int, int]:
    """Parse a `WxH` string such as `640x480` into `(W, H)`."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise ExportError(f"size must look like WxH, for example 640x480; got {text!r}")
    return int(parts[0]), int(parts[1])
