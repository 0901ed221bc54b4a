"""The `yunet` command line: `yunet detect IMAGE... [--weights W] [--out DIR] [--json FILE]`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import cv2

from yunet import __version__
from yunet.errors import YunetError
from yunet.weights.cli import add_convert_arguments, add_hub_arguments, run_convert, run_hub

DEFAULT_WEIGHTS = "yunet-n"


def _add_detect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, help="image files to process")
    parser.add_argument(
        "--weights",
        default=DEFAULT_WEIGHTS,
        help="registry name, Hub repo id, local folder or official .pth checkpoint (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path,
        help="folder for the drawn images, one per input under its file name (-2, -3 ... appended on a clash)",
    )
    parser.add_argument("--json", type=Path, help="file to write all detections to, as JSON")
    parser.add_argument("--score-threshold", type=float, default=0.5, help="minimum face score in [0, 1] (default: 0.5)")
    parser.add_argument("--nms-threshold", type=float, default=0.3, help="NMS IoU threshold (default: 0.3)")
    parser.add_argument("--top-k", type=int, default=5000, help="candidates kept before NMS (default: 5000)")
    parser.add_argument(
        "--input-size", type=int, nargs=2, metavar=("W", "H"),
        help="resize each image to fit W x H pixels (default: run at the image's own size)",
    )
    parser.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    parser.add_argument(
        "--no-large-face-pass", action="store_true",
        help="skip the reduced-scale pass that merges fragments of faces over 400 px wide",
    )
    parser.add_argument(
        "--tiled", action="store_true",
        help="detect on overlapping 2x upscaled tiles, for faces under about 16 px (slower)",
    )


def _run_detect(args: argparse.Namespace) -> int:
    from yunet.detector import FaceDetector
    from yunet.draw import draw_detections
    from yunet.preprocess import read_image
    from yunet.tiling import detect_tiled

    detector = FaceDetector.from_pretrained(
        args.weights,
        device=args.device,
        score_threshold=args.score_threshold,
        nms_threshold=args.nms_threshold,
        top_k=args.top_k,
    )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    report = {}
    failures = 0
    written: set[Path] = set()
    for path in args.images:
        try:
            image = read_image(path)
            if args.tiled:
                faces = detect_tiled(detector, image)
            else:
                faces = detector(
                    image,
                    input_size=tuple(args.input_size) if args.input_size else None,
                    large_face_pass=not args.no_large_face_pass,
                )
        except YunetError as error:
            print(f"{path}: error: {error}", file=sys.stderr)
            failures += 1
            continue
        print(f"{path}: {len(faces)} face(s)")
        for face in faces:
            x1, y1, x2, y2 = face.box
            print(f"  score {face.score:.3f}  box ({x1:.1f}, {y1:.1f}, {x2:.1f}, {y2:.1f})")
        report[str(path)] = json.loads(faces.to_json())
        if args.out is not None:
            drawn = draw_detections(image if image.dtype == "uint8" else image.round().astype("uint8"), faces)
            out_path = args.out / path.name
            if out_path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"):
                out_path = out_path.with_suffix(".png")
            out_path = _unused_path(out_path, written)
            written.add(out_path)
            if not cv2.imwrite(str(out_path), drawn):
                print(f"{path}: error: cannot write {out_path}", file=sys.stderr)
                failures += 1
                continue
            print(f"  drawn: {out_path}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"detections written to {args.json}")
    return 1 if failures else 0


def _unused_path(path: Path, taken: set[Path]) -> Path:
    """Return `path`, or `stem-2.suffix`, `stem-3.suffix`, ... when an earlier input of this run wrote `path`."""
    candidate = path
    number = 1
    while candidate in taken:
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="registry name, Hub repo id, local folder or official .pth checkpoint")
    parser.add_argument("out", type=Path, help="ONNX file to write")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--dynamic", action="store_true", help="symbolic batch, height and width (the default)")
    shape.add_argument("--static", metavar="WxH", help="fixed input size in pixels, multiples of 32, e.g. 640x640")
    parser.add_argument("--opset", type=int, default=11, help="ONNX opset version (default: %(default)s)")


def _run_export(args: argparse.Namespace) -> int:
    from yunet.export import export_onnx, parse_size
    from yunet.weights.loading import load_model

    static = parse_size(args.static) if args.static else None
    path = export_onnx(load_model(args.weights), args.out, static=static, opset=args.opset)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the `yunet` command."""
    parser = argparse.ArgumentParser(prog="yunet", description="YuNet face detection")
    parser.add_argument("--version", action="version", version=f"yunet {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True)
    detect = subparsers.add_parser("detect", help="detect faces in images, draw them and write JSON")
    _add_detect_arguments(detect)
    detect.set_defaults(run=_run_detect)
    export = subparsers.add_parser("export", help="export weights to ONNX in the layout cv2.FaceDetectorYN reads")
    _add_export_arguments(export)
    export.set_defaults(run=_run_export)
    convert = subparsers.add_parser("convert", help="convert an official .pth checkpoint to a Hub-format folder")
    add_convert_arguments(convert)
    convert.set_defaults(run=run_convert)
    hub = subparsers.add_parser("hub", help="Hugging Face Hub commands: upload a Hub-format folder")
    add_hub_arguments(hub)
    hub.set_defaults(run=run_hub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `yunet` command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args))
    except YunetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # an output path that is a file, a folder, or not writable
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
