"""Training step benchmark: `python -m yunet.bench train`.

Times forward, assignment, losses, backward and the optimizer step of the original recipe on synthetic
batches: one of ordinary images (a few faces each) and one where an image contains a crowd of 300+ faces. The
crowded step shows whether assignment and losses scale with the number of faces.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from yunet.config import yunet_n_config, yunet_s_config
from yunet.models import YuNet
from yunet.ops.priors import make_priors
from yunet.training.assigners import SimOTAAssigner
from yunet.training.criterion import YuNetCriterion
from yunet.training.datasets import FaceTargets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=("yunet-n", "yunet-s"), default="yunet-n", help="architecture")
    parser.add_argument("--batch-size", type=int, default=4, help="images per step")
    parser.add_argument("--input-size", type=int, default=640, help="square input side in pixels")
    parser.add_argument("--faces", type=int, default=5, help="faces per ordinary image")
    parser.add_argument("--crowd-faces", type=int, default=320, help="faces in the crowded image")
    parser.add_argument("--iterations", type=int, default=5, help="timed steps per batch kind (after one warm-up step)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="torch device")


def _faces(count: int, input_size: int, generator: torch.Generator, device: torch.device) -> FaceTargets:
    """`count` faces on a grid with jitter, sizes shrinking with the count so a crowd fits the image."""
    per_row = max(int(count**0.5 + 0.999), 1)
    cell = input_size / per_row
    index = torch.arange(count, dtype=torch.float32)
    size = cell * (0.5 + 0.3 * torch.rand(count, generator=generator))
    x1 = (index % per_row) * cell + (cell - size) * torch.rand(count, generator=generator)
    y1 = torch.div(index, per_row, rounding_mode="floor") * cell + (cell - size) * torch.rand(count, generator=generator)
    boxes = torch.stack([x1, y1, x1 + size, y1 + size], dim=1)
    relative = torch.tensor([[0.3, 0.4], [0.7, 0.4], [0.5, 0.55], [0.35, 0.75], [0.65, 0.75]])
    landmarks = boxes[:, None, :2] + relative[None] * size[:, None, None]
    return FaceTargets(boxes.to(device), landmarks.to(device), torch.ones(count, device=device))


def _time_steps(model, criterion, priors, images, targets, optimizer, iterations: int) -> dict[str, float]:
    timings: dict[str, list[float]] = {"step": [], "assign": [], "loss": []}
    original_assign = criterion.assign
    assign_seconds = [0.0]

    def timed_assign(*args, **kwargs):
        started = time.perf_counter()
        result = original_assign(*args, **kwargs)
        assign_seconds[0] += time.perf_counter() - started
        return result

    criterion.assign = timed_assign
    for iteration in range(iterations + 1):
        assign_seconds[0] = 0.0
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        outputs = model(images)
        loss_started = time.perf_counter()
        losses = criterion(outputs, priors, targets)
        loss_seconds = time.perf_counter() - loss_started
        losses.total.backward()
        optimizer.step()
        if images.device.type == "cuda":
            torch.cuda.synchronize()
        if iteration > 0:  # the first step warms up allocators and kernels
            timings["step"].append(time.perf_counter() - started)
            timings["assign"].append(assign_seconds[0])
            timings["loss"].append(loss_seconds)
    criterion.assign = original_assign
    return {name: statistics.median(values) for name, values in timings.items()}


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = YuNet(yunet_n_config() if args.model == "yunet-n" else yunet_s_config()).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    criterion = YuNetCriterion(SimOTAAssigner())
    priors = make_priors(args.input_size, args.input_size, model.config.strides, device=device)
    images = torch.rand(args.batch_size, 3, args.input_size, args.input_size, generator=generator).to(device) * 255

    ordinary = [_faces(args.faces, args.input_size, generator, device) for _ in range(args.batch_size)]
    crowded = [_faces(args.crowd_faces, args.input_size, generator, device)] + ordinary[1:]
    print(
        f"{args.model}, batch {args.batch_size} x {args.input_size}x{args.input_size}, {priors.shape[0]} priors per image, "
        f"device {device}, {torch.get_num_threads()} threads, median of {args.iterations} steps"
    )
    print(f"{'batch':<34} {'step ms':>9} {'assign ms':>10} {'assign+loss ms':>15} {'assign+loss %':>14}")
    results = {}
    for name, targets in ((f"ordinary ({args.faces} faces per image)", ordinary), (f"crowded (one image with {args.crowd_faces})", crowded)):
        timing = _time_steps(model, criterion, priors, images, targets, optimizer, args.iterations)
        results[name] = timing
        share = 100 * timing["loss"] / timing["step"]
        print(f"{name:<34} {timing['step'] * 1e3:9.1f} {timing['assign'] * 1e3:10.1f} {timing['loss'] * 1e3:15.1f} {share:13.1f}%")
    ordinary_step, crowded_step = (timing["step"] for timing in results.values())
    print(f"crowded / ordinary step time: {crowded_step / ordinary_step:.2f}")
    return 0
