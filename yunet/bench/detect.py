"""End-to-end detection speed: yunet (torch, onnxruntime) against `cv2.FaceDetectorYN` with the official ONNX.

All runners are timed in one process, interleaved round by round, so a change in machine load hits them alike.
Each case reports the median wall time of a call after warm-up, the ratio to OpenCV's time and, for yunet, the
share of the call spent in decode and NMS (the post-processing of saved network outputs, timed alone).

Photographs (from the assets folder): `two_people.jpg` cropped to 4:3 and resized to 640x480, the crowd
`crowd_largest_selfie.jpg` at its own 1600x898, and `group_table_6_faces.jpg` cropped to 16:9 and resized to
1920x1080.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from yunet.detector import FaceDetector
from yunet.weights.official import load_official_checkpoint

DEFAULT_ASSETS = Path(__file__).resolve().parents[2].parent / "shared" / "assets"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assets", type=Path, default=DEFAULT_ASSETS, help="assets folder (default: %(default)s)")
    parser.add_argument("--variant", default="yunet_n", choices=["yunet_n", "yunet_s"], help="official model")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per case (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=16, help="batch size of the batched cases (default: 16)")
    parser.add_argument("--plot", type=Path, help="write a bar chart of images per second to this PNG")
    parser.add_argument("--int8", type=Path, help="also time the onnxruntime backend on this int8 ONNX file")


def load_photos(assets: Path) -> dict[str, np.ndarray]:
    """Return the benchmark photographs by name, as BGR uint8 arrays."""
    images = assets / "images"
    two_people = cv2.imread(str(images / "two_people.jpg"))  # 1126x661
    height = two_people.shape[0]
    width = height * 4 // 3
    left = (two_people.shape[1] - width) // 2
    photo_640 = cv2.resize(two_people[:, left : left + width], (640, 480), interpolation=cv2.INTER_AREA)
    table = cv2.imread(str(images / "group_table_6_faces.jpg"))  # 1280x886
    crop_height = table.shape[1] * 9 // 16
    top = (table.shape[0] - crop_height) // 2
    photo_1080 = cv2.resize(table[top : top + crop_height], (1920, 1080), interpolation=cv2.INTER_LINEAR)
    crowd = cv2.imread(str(images / "crowd_largest_selfie.jpg"))
    return {"640x480": photo_640, "crowd 1600x898": crowd, "1920x1080": photo_1080}


def _opencv_runner(onnx_path: Path, image: np.ndarray, batch: int) -> Callable[[], object]:
    height, width = image.shape[:2]
    detector = cv2.FaceDetectorYN.create(str(onnx_path), "", (width, height), 0.5, 0.3, 5000)

    def run() -> object:
        # FaceDetectorYN takes one image per call; a batch is a loop, as an OpenCV user would write it.
        return [detector.detect(image) for _ in range(batch)]

    return run


def _yunet_runner(detector: FaceDetector, image: np.ndarray, batch: int) -> Callable[[], object]:
    images = image if batch == 1 else [image] * batch
    return lambda: detector(images)


def _post_share(detector: FaceDetector, image: np.ndarray, batch: int, rounds: int) -> float:
    """Median share of a whole call spent in decode and NMS, timing the post-processing of saved network
    outputs against the whole call, round by round."""
    from yunet.preprocess import pack_images, round_up

    stride = detector.config.max_stride
    height, width = image.shape[:2]
    padded_height, padded_width = round_up(height, stride), round_up(width, stride)
    outputs = detector.runner(pack_images([image] * batch, padded_height, padded_width))
    images = image if batch == 1 else [image] * batch
    thresholds = (detector.score_threshold, detector.nms_threshold, detector.top_k)
    shares = []
    for _ in range(rounds):
        start = time.perf_counter()
        detector._postprocess(outputs, padded_height, padded_width, *thresholds)
        post = time.perf_counter() - start
        start = time.perf_counter()
        detector(images)
        total = time.perf_counter() - start
        shares.append(min(post / total, 1.0))
    return statistics.median(shares)


def run(args: argparse.Namespace) -> int:
    onnx_path = args.assets / "libfacedetection" / "onnx" / f"{args.variant}_dynamic.onnx"
    model = load_official_checkpoint(args.assets / "libfacedetection" / "weights" / f"{args.variant}.pth")
    detectors = {
        backend: FaceDetector(model, backend=backend, large_face_pass=False) for backend in ("torch", "onnxruntime")
    }
    if args.int8 is not None:
        from yunet.backends import OnnxRuntimeRunner

        detectors["onnxruntime-int8"] = FaceDetector(model, backend="onnxruntime", large_face_pass=False)
        detectors["onnxruntime-int8"].runner = OnnxRuntimeRunner(str(args.int8))  # same decode, int8 network
    photos = load_photos(args.assets)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), OpenCV {cv2.__version__}, {args.variant}")
    print(f"median of {args.rounds} interleaved rounds after {args.warmup} warm-up rounds; ms per call")
    rows = []
    for photo_name, image in photos.items():
        for batch in (1, args.batch):
            runners = {
                "opencv": _opencv_runner(onnx_path, image, batch),
                "yunet torch": _yunet_runner(detectors["torch"], image, batch),
                "yunet onnxruntime": _yunet_runner(detectors["onnxruntime"], image, batch),
            }
            if args.int8 is not None:
                runners["yunet onnxruntime-int8"] = _yunet_runner(detectors["onnxruntime-int8"], image, batch)
            times = _time_interleaved(runners, args.warmup, args.rounds)
            for name, seconds in times.items():
                share = None
                if name.startswith("yunet"):
                    detector = detectors[name.split()[1]]
                    share = _post_share(detector, image, batch, max(3, args.rounds // 3))
                rows.append((photo_name, batch, name, seconds, seconds / times["opencv"], batch / seconds, share))
    _print_table(rows)
    if args.plot is not None:
        _plot(rows, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _time_interleaved(runners: dict[str, Callable[[], object]], warmup: int, rounds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for round_index in range(warmup + rounds):
        for name, runner in runners.items():
            start = time.perf_counter()
            runner()
            elapsed = time.perf_counter() - start
            if round_index >= warmup:
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}


def _print_table(rows: list[tuple]) -> None:
    print("| photo | batch | runner | ms per call | time / OpenCV | images/s | decode+NMS share |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for photo, batch, name, seconds, ratio, rate, share in rows:
        share_text = "" if share is None else f"{share:.1%}"
        print(f"| {photo} | {batch} | {name} | {seconds * 1000:.1f} | {ratio:.2f} | {rate:.1f} | {share_text} |")


def _plot(rows: list[tuple], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(f"{photo}\nbatch {batch}" for photo, batch, *_ in rows))
    names = list(dict.fromkeys(name for _, _, name, *_ in rows))
    figure, axes = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(names)
    for offset, name in enumerate(names):
        rates = [rate for photo, batch, runner, _, _, rate, _ in rows if runner == name]
        positions = [index + offset * width for index in range(len(cases))]
        axes.bar(positions, rates, width=width, label=name)
    axes.set_xticks([index + 0.4 - width / 2 for index in range(len(cases))], cases, fontsize=8)
    axes.set_ylabel("images per second (higher is better)")
    axes.set_yscale("log")
    axes.legend()
    axes.set_title("YuNet-n detection speed, same process, interleaved")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
