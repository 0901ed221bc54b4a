"""Subcommands `yunet convert OFFICIAL.pth OUT_DIR` and `yunet hub upload OUT_DIR REPO_ID`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from yunet.errors import ImageReadError, MissingDependencyError, WeightsError
from yunet.models import YuNet
from yunet.weights import hub
from yunet.weights.official import load_official_checkpoint

OFFICIAL_SOURCE = (
    "converted from the official checkpoint of [libfacedetection.train](https://github.com/ShiqiYu/libfacedetection.train)"
)
OFFICIAL_LICENSE = "apache-2.0"  # the LICENSE file of libfacedetection.train


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of `yunet convert` to `parser`."""
    parser.add_argument("checkpoint", type=Path, help="official libfacedetection.train checkpoint (.pth)")
    parser.add_argument("out_dir", type=Path, help="folder to write config.json, model.safetensors and README.md to")
    parser.add_argument(
        "--source", default=OFFICIAL_SOURCE, help="where the weights come from, for the model card (Markdown)"
    )
    parser.add_argument(
        "--license", default=OFFICIAL_LICENSE, help="Hub license id of the weights (default: %(default)s)"
    )
    parser.add_argument(
        "--onnx", type=Path, help="official *_dynamic.onnx of the same variant, to measure parity for the model card"
    )
    parser.add_argument(
        "--image", type=Path, action="append", default=[], help="photograph for the parity measurement (repeatable)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace the yunet files of an existing OUT_DIR")


def run_convert(args: argparse.Namespace) -> int:
    """Convert an official checkpoint to a Hub-format folder and print the sha256 of each file."""
    existing = [args.out_dir / name for name in hub.UPLOAD_FILES if (args.out_dir / name).exists()]
    if existing and not args.overwrite:
        raise WeightsError(f"{args.out_dir} already contains {[path.name for path in existing]}; pass --overwrite")
    if args.onnx is not None and not args.image:
        raise WeightsError("--onnx needs at least one --image to measure parity on")
    for path in existing:
        path.unlink()

    model = load_official_checkpoint(args.checkpoint)
    parity = []
    if args.onnx is not None:
        difference = measure_onnx_parity(model, args.onnx, args.image)
        parity.append(
            f"Max abs difference of the 12 raw outputs (cls and obj after sigmoid) against the official "
            f"`{args.onnx.name}` in onnxruntime, on {', '.join(f'`{path.name}`' for path in args.image)} at their own "
            f"size padded to a multiple of 32: {difference:.2e}. Measured by `yunet convert --onnx ... --image ...`."
        )
    model.save_pretrained(
        args.out_dir,
        model_card_kwargs={"weights_source": args.source, "license": args.license, "parity": parity},
    )
    print(f"wrote {args.out_dir}")
    for name in hub.UPLOAD_FILES:
        print(f"  {name}  sha256 {hub.sha256_of_file(args.out_dir / name)}")
    for line in parity:
        print(f"  parity: {line}")
    return 0


def measure_onnx_parity(model: YuNet, onnx_path: Path, image_paths: Sequence[Path]) -> float:
    """Return the max abs difference between `model` and an official ONNX model over twelve outputs and images.

    Each image is read as BGR, zero-padded bottom and right to a multiple of 32 (as OpenCV's FaceDetectorYN
    does) and fed as raw 0-255 values. cls and obj are compared after a sigmoid, as the ONNX model outputs them.
    """
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError("--onnx needs onnxruntime: pip install 'yunet[onnx]'") from None

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    output_names = [output.name for output in session.get_outputs()]
    worst = 0.0
    for path in image_paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ImageReadError(f"cannot read {str(path)!r} as an image")
        height, width = image.shape[:2]
        padded = np.zeros((-(-height // 32) * 32, -(-width // 32) * 32, 3), dtype=np.float32)
        padded[:height, :width] = image
        batch = np.ascontiguousarray(padded.transpose(2, 0, 1)[None])  # (1, 3, H, W)
        reference = dict(zip(output_names, session.run(output_names, {input_name: batch}), strict=True))
        with torch.no_grad():
            outputs = model.eval().predict(torch.from_numpy(batch))
        for index, stride in enumerate(model.config.strides):
            ours = {
                "cls": outputs.cls[index].sigmoid(),
                "obj": outputs.obj[index].sigmoid(),
                "bbox": outputs.bbox[index],
                "kps": outputs.kps[index],
            }
            for kind, tensor in ours.items():
                difference = np.abs(tensor.numpy() - reference[f"{kind}_{stride}"]).max()
                worst = max(worst, float(difference))
    return worst


def add_hub_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `yunet hub` subcommands (`upload`) to `parser`."""
    actions = parser.add_subparsers(dest="hub_command", required=True)
    upload = actions.add_parser("upload", help="upload a Hub-format folder to a Hugging Face Hub model repository")
    upload.add_argument("folder", type=Path, help="folder written by `yunet convert` or `save_pretrained`")
    upload.add_argument("repo_id", help="model repository id, namespace/name (created if missing)")
    upload.add_argument("--tag", help="tag to create on the upload commit, the revision a registry entry pins")
    upload.add_argument("--branch", help="branch to commit to (default: main)")
    upload.add_argument("--private", action="store_true", help="create the repository as private")
    upload.add_argument("--commit-message", default="Upload yunet model", help="commit message")


def run_hub(args: argparse.Namespace) -> int:
    """Run a `yunet hub` subcommand; the token comes from `hf auth login` or `HF_TOKEN`."""
    if args.hub_command != "upload":
        raise WeightsError(f"unknown hub command {args.hub_command!r}; expected 'upload'")
    url = hub.upload_folder(
        args.folder,
        args.repo_id,
        tag=args.tag,
        branch=args.branch,
        private=True if args.private else None,
        commit_message=args.commit_message,
    )
    print(f"uploaded {args.folder} to {args.repo_id}: {url}")
    return 0
