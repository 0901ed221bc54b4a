"""`python -m yunet.bench model`: parameters, FLOPs and fused/unfused CPU latency of model presets.

FLOPs are counted by `torch.utils.flop_counter.FlopCounterMode` on one `predict` call: 2 per multiply-add of
the convolutions and matrix products; BatchNorm, activations, pooling and other elementwise operations are
not counted. Latency is the wall time of `predict` on one zero image. The presets are measured in turn inside
each round, so that a change in machine load affects all of them alike. The fastest round is reported
because other processes slow it least (`--statistic median` reports the median round instead).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from yunet.config import PRESETS, preset_config
from yunet.models import YuNet, count_parameters

FLOP_SIZES = (320, 640)


@dataclass(frozen=True)
class ModelReport:
    """Measurements of one preset; latencies in milliseconds, FLOPs of the fused model by input side."""

    name: str
    parameters: int
    fused_parameters: int
    flops: dict[int, int]
    unfused_ms: float
    fused_ms: float


def count_flops(model: YuNet, height: int, width: int) -> int:
    """Count the FLOPs of one `predict` call on a `(1, 3, height, width)` input (2 per multiply-add)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.predict(torch.zeros(1, 3, height, width))
    return int(counter.get_total_flops())


def measure_latency(
    models: dict[str, YuNet], *, size: int, rounds: int, runs_per_round: int, warmup: int, statistic: str = "min"
) -> dict[str, float]:
    """Return the latency in milliseconds of `predict` on one `size` x `size` image, per model.

    Each round runs every model `runs_per_round` times in turn and keeps the mean of those runs. The result
    is the minimum (`statistic="min"`) or the median (`"median"`) of the round means.
    """
    images = torch.zeros(1, 3, size, size)
    samples: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for model in models.values():
            for _ in range(warmup):
                model.predict(images)
        for _ in range(rounds):
            for name, model in models.items():
                start = time.perf_counter()
                for _ in range(runs_per_round):
                    model.predict(images)
                samples[name].append((time.perf_counter() - start) * 1000 / runs_per_round)
    reduce = min if statistic == "min" else statistics.median
    return {name: reduce(values) for name, values in samples.items()}


def measure_presets(
    names: list[str], *, size: int, rounds: int, runs_per_round: int, statistic: str = "min"
) -> list[ModelReport]:
    """Build every preset in `names` with random weights and measure it, fused and unfused, in one run."""
    unfused = {name: YuNet(preset_config(name)).eval() for name in names}
    fused = {name: model.fuse() for name, model in unfused.items()}
    timed = {f"{name} unfused": model for name, model in unfused.items()}
    timed.update({f"{name} fused": model for name, model in fused.items()})
    latency = measure_latency(
        timed, size=size, rounds=rounds, runs_per_round=runs_per_round, warmup=3, statistic=statistic
    )
    return [
        ModelReport(
            name=name,
            parameters=count_parameters(unfused[name]),
            fused_parameters=count_parameters(fused[name]),
            flops={side: count_flops(fused[name], side, side) for side in FLOP_SIZES},
            unfused_ms=latency[f"{name} unfused"],
            fused_ms=latency[f"{name} fused"],
        )
        for name in names
    ]


def format_table(reports: list[ModelReport], baseline: str) -> str:
    """Format the reports as a Markdown table, with FLOPs and latencies also as ratios to `baseline`."""
    base = next(report for report in reports if report.name == baseline)
    lines = [
        "| preset | parameters | fused parameters | MFLOPs 320 | MFLOPs 640 | FLOPs ratio | unfused ms | fused ms "
        f"| unfused / {baseline} fused | fused / {baseline} fused |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for report in reports:
        lines.append(
            f"| {report.name} | {report.parameters:,} | {report.fused_parameters:,} "
            f"| {report.flops[320] / 1e6:.1f} | {report.flops[640] / 1e6:.1f} "
            f"| {report.flops[320] / base.flops[320]:.3f} | {report.unfused_ms:.2f} | {report.fused_ms:.2f} "
            f"| {report.unfused_ms / base.fused_ms:.2f} | {report.fused_ms / base.fused_ms:.2f} |"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `python -m yunet.bench model`."""
    parser.description = "Parameters, FLOPs at 320x320 and 640x640, and fused/unfused CPU latency of model presets."
    parser.add_argument(
        "--config",
        nargs="+",
        default=["yunet-n"],
        metavar="NAME",
        help=f"presets to measure, or 'all' (known: {', '.join(PRESETS)})",
    )
    parser.add_argument("--baseline", default="yunet-n", help="preset the ratios refer to; it is always measured")
    parser.add_argument("--size", type=int, default=320, help="side of the square input for latency, in pixels")
    parser.add_argument("--rounds", type=int, default=20, help="latency rounds (each runs every model in turn)")
    parser.add_argument("--runs-per-round", type=int, default=5, help="predict calls per model and round")
    parser.add_argument(
        "--statistic", choices=("min", "median"), default="min", help="latency over rounds: fastest or median round"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (torch.set_num_threads)")


def run(args: argparse.Namespace) -> int:
    """Measure the requested presets, print a Markdown table and return the exit status."""
    names = list(PRESETS) if args.config == ["all"] else list(dict.fromkeys(args.config))
    if args.baseline not in names:
        names.insert(0, args.baseline)
    unknown = [name for name in names if name not in PRESETS]
    if unknown:
        print(f"error: unknown model presets {unknown}; known presets: {sorted(PRESETS)}", file=sys.stderr)
        return 2
    if args.size <= 0 or args.size % 32:
        print(f"error: --size must be a positive multiple of 32, got {args.size}", file=sys.stderr)
        return 2
    if args.rounds < 1 or args.runs_per_round < 1 or args.threads < 1:
        print("error: --rounds, --runs-per-round and --threads must be positive", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    reports = measure_presets(
        names, size=args.size, rounds=args.rounds, runs_per_round=args.runs_per_round, statistic=args.statistic
    )
    print(
        f"# torch {torch.__version__}, {args.threads} CPU thread(s), latency at {args.size}x{args.size}: "
        f"{args.statistic} over {args.rounds} rounds of {args.runs_per_round} runs per preset"
    )
    print(format_table(reports, args.baseline))
    return 0
