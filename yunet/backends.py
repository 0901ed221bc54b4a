"""Network runners for `FaceDetector`: PyTorch (the default) and onnxruntime.

A runner takes a float32 `(B, 3, H, W)` BGR 0-255 batch (H, W multiples of 32) and returns `HeadOutputs` in the
official layout, per level `(B, H_l * W_l, C)`, with `cls` and `obj` as probabilities (through the sigmoid),
which is what the exported ONNX returns. Both runners therefore feed one decode path.
"""

from __future__ import annotations

import logging
from typing import Literal, Protocol

import numpy as np
import torch

from yunet.errors import ConfigError
from yunet.export import INPUT_NAME, export_onnx_bytes, output_names
from yunet.models import YuNet
from yunet.models.head import HeadOutputs

logger = logging.getLogger(__name__)

Backend = Literal["torch", "onnxruntime"]
BACKENDS = ("torch", "onnxruntime")


class NetworkRunner(Protocol):
    """Callable that runs YuNet on a `(B, 3, H, W)` batch and returns probabilities and offsets."""

    def __call__(self, batch: torch.Tensor) -> HeadOutputs: ...


class TorchRunner:
    """Run a fused YuNet with PyTorch.

    On CPU the weights and the input use the channels-last memory format: PyTorch's depthwise convolutions run
    several times faster in it (measured about 4x on yunet-n at 640x480, `docs/benchmarks.md`).
    Thread settings are PyTorch's own (`torch.set_num_threads`), left to the caller.

    Args:
        model: a fused YuNet in eval mode (as `YuNet.fuse()` returns); it is moved to `device`.
        device: torch device.
    """

    def __init__(self, model: YuNet, device: torch.device) -> None:
        self.device = device
        self.channels_last = device.type == "cpu"
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.model = model.to(device=device, memory_format=memory_format)

    @torch.inference_mode()
    def __call__(self, batch: torch.Tensor) -> HeadOutputs:
        batch = batch.to(self.device)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        outputs = self.model.predict(batch)
        return HeadOutputs(
            cls=[torch.sigmoid(logits) for logits in outputs.cls],
            obj=[torch.sigmoid(logits) for logits in outputs.obj],
            bbox=list(outputs.bbox),
            kps=list(outputs.kps),
        )


def default_session_options(num_threads: int | None = None) -> object:
    """Build onnxruntime session options for low-latency CPU inference.

    Args:
        num_threads: intra-op threads; None takes the caller's PyTorch setting (`torch.get_num_threads()`),
            so one thread setting governs both backends.

    Returns:
        An `onnxruntime.SessionOptions` with full graph optimization, sequential execution, one inter-op
        thread and no spin-waiting of idle worker threads.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = torch.get_num_threads() if num_threads is None else int(num_threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the exported graph is valid, info lines are noise
    # onnxruntime's worker threads spin-wait after each run by default. They then hold the cores that
    # PyTorch's threads need for the decode right after, and each small torch operation stalls for
    # milliseconds (measured: a 480x640 torch.zeros took 10 ms instead of 0.3 ms).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxRuntimeRunner:
    """Run YuNet in onnxruntime from an ONNX file in the official layout or from a YuNet exported in memory.

    `onnxruntime.InferenceSession.run` may be called from several threads at once, so one runner serves a
    multi-threaded detector.

    Args:
        model: a YuNet (exported with `yunet.export.export_onnx_bytes`), ONNX bytes, or the path of an ONNX file
            with the official inputs and outputs (`yunet.export`).
        session_options: onnxruntime `SessionOptions`; default `default_session_options()`, whose thread count
            follows `torch.get_num_threads()` at construction time.
        providers: onnxruntime execution providers (default: CPU).

    Raises:
        ConfigError: if onnxruntime is not installed or the graph lacks the official outputs.
    """

    def __init__(
        self,
        model: YuNet | bytes | str,
        *,
        session_options: object | None = None,
        providers: list[str] | None = None,
    ) -> None:
        try:
            import onnxruntime
        except ImportError as error:
            raise ConfigError(
                "the onnxruntime backend needs the onnxruntime package: pip install 'yunet[onnx]'"
            ) from error
        strides = (8, 16, 32)
        if isinstance(model, YuNet):
            strides = model.config.strides
            model = export_onnx_bytes(model)
        options = default_session_options() if session_options is None else session_options
        self.session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=providers or ["CPUExecutionProvider"]
        )
        self.output_names = output_names(strides)
        missing = sorted(set(self.output_names) - {output.name for output in self.session.get_outputs()})
        if missing:
            raise ConfigError(f"the ONNX graph lacks the official YuNet outputs {missing}; export it with yunet.export")
        self.num_levels = len(strides)
        logger.debug("onnxruntime session ready with %s", self.session.get_providers())

    def __call__(self, batch: torch.Tensor) -> HeadOutputs:
        array = np.ascontiguousarray(batch.detach().cpu().numpy(), dtype=np.float32)
        arrays = self.session.run(self.output_names, {INPUT_NAME: array})
        tensors = [torch.from_numpy(output) for output in arrays]
        levels = self.num_levels
        return HeadOutputs(*(tensors[i * levels : (i + 1) * levels] for i in range(4)))


def make_runner(
    backend: Backend, model: YuNet, device: torch.device, *, session_options: object | None = None
) -> NetworkRunner:
    """Build the runner of `backend` for a fused `model`.

    Raises:
        ConfigError: on an unknown backend, or onnxruntime on a non-CPU device.
    """
    if backend == "torch":
        return TorchRunner(model, device)
    if backend == "onnxruntime":
        if device.type != "cpu":
            raise ConfigError(f"the onnxruntime backend runs on the CPU; got device {device}, use device='cpu'")
        return OnnxRuntimeRunner(model, session_options=session_options)
    raise ConfigError(f"backend must be one of {BACKENDS}, got {backend!r}")
