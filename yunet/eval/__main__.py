"""Command line: `python -m yunet.eval widerface --weights W --images DIR --gt DIR` or `--predictions DIR`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from yunet.errors import YunetError
from yunet.eval.inference import NMS_THRESHOLD, SCORE_THRESHOLD, TOP_K, DetectFn, ModelDetector, OpenCVDetector, list_images, predict_folder
from yunet.eval.plots import plot_pr_curves
from yunet.eval.submission import read_predictions, write_predictions
from yunet.eval.widerface import evaluate, load_ground_truth


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m yunet.eval", description="Evaluate face detectors.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    widerface = subparsers.add_parser(
        "widerface",
        help="WIDER FACE val AP (easy/medium/hard) with the official protocol",
        description="Run a model on WIDER FACE val images (or read a prediction folder) and print easy/medium/hard AP. "
        "When only some val images are given, the protocol is restricted to them and the output says so.",
    )
    source = widerface.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--weights",
        help="official libfacedetection .pth, a checkpoint written by yunet.training, or an .onnx with --backend opencv",
    )
    source.add_argument("--predictions", help="folder of predictions in the submission layout <event>/<image>.txt")
    widerface.add_argument("--images", help="WIDER_val/images folder (<event>/<name>.jpg); required with --weights")
    widerface.add_argument("--gt", required=True, help="folder with wider_face_val.mat and wider_{easy,medium,hard}_val.mat")
    widerface.add_argument(
        "--backend",
        choices=("auto", "detector", "model", "opencv"),
        default="auto",
        help="inference path for --weights: yunet.detector.FaceDetector, the in-package model path, "
        "cv2.FaceDetectorYN on an ONNX file (for comparison), or auto (FaceDetector for official weights when "
        "available, else the model path)",
    )
    widerface.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    widerface.add_argument("--score-threshold", type=float, default=SCORE_THRESHOLD, help="minimum face score")
    widerface.add_argument("--nms-threshold", type=float, default=NMS_THRESHOLD, help="NMS IoU threshold")
    widerface.add_argument("--top-k", type=int, default=TOP_K, help="candidates kept before NMS")
    widerface.add_argument("--save-predictions", help="write the predictions to this folder (submission layout)")
    widerface.add_argument("--plots", help="write PR-curve PNGs to this folder")
    widerface.add_argument("--json", help="write the APs and face counts to this JSON file")
    widerface.add_argument(
        "--all-images",
        action="store_true",
        help="count the faces of every ground-truth image, scoring images without predictions as missed "
        "(default: restrict to the predicted images)",
    )
    annotated = subparsers.add_parser(
        "labelv2",
        help="AP and recall at IoU 0.5 on a labelv2-annotated image set, every face counted",
        description="Run a model on the images of a labelv2 file and score it with the WIDER FACE protocol, "
        "all faces counted (easy, medium and hard agree).",
    )
    annotated.add_argument("--weights", required=True, help="official .pth, training checkpoint .pt, or .onnx with --backend opencv")
    annotated.add_argument("--annotations", required=True, help="labelv2.txt file")
    annotated.add_argument("--images", required=True, help="folder the labelv2 image paths are relative to")
    annotated.add_argument("--backend", choices=("auto", "detector", "model", "opencv"), default="auto", help="as for widerface")
    annotated.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    annotated.add_argument("--score-threshold", type=float, default=SCORE_THRESHOLD, help="minimum face score")
    annotated.add_argument("--nms-threshold", type=float, default=NMS_THRESHOLD, help="NMS IoU threshold")
    annotated.add_argument("--top-k", type=int, default=TOP_K, help="candidates kept before NMS")
    return parser


def _run_labelv2(args: argparse.Namespace) -> int:
    from yunet.eval.annotated import ground_truth_from_labelv2

    ground_truth, image_paths = ground_truth_from_labelv2(args.annotations, args.images)
    predictions = predict_folder(_make_detector(args), image_paths)
    result = evaluate(predictions, ground_truth)
    print(f"{result.num_images} images, {result.num_faces['hard']} faces (all counted)")
    print(f"AP: {result.ap['hard']:.4f}  recall@0.5: {result.recall['hard']:.4f}")
    return 0


def _make_detector(args: argparse.Namespace) -> DetectFn:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    weights = Path(args.weights)
    is_training_checkpoint = weights.suffix == ".pt"
    backend = args.backend
    if backend == "auto":
        try:
            import yunet.detector  # noqa: F401
        except ImportError:
            backend = "model"
        else:
            backend = "model" if is_training_checkpoint else "detector"
    if backend == "opencv":
        return OpenCVDetector(weights, score_threshold=args.score_threshold, nms_threshold=args.nms_threshold, top_k=args.top_k)
    if backend == "detector":
        from yunet.detector import FaceDetector

        detector = FaceDetector.from_pretrained(str(weights), device="cpu")

        def detect(image):  # type: ignore[no-untyped-def]
            # The official protocol is one pass at the original size, so the large-face pass stays off.
            detections = detector(
                image,
                score_threshold=args.score_threshold,
                nms_threshold=args.nms_threshold,
                top_k=args.top_k,
                large_face_pass=False,
            )
            return detections.boxes, detections.scores

        return detect
    if is_training_checkpoint:
        from yunet.training.checkpoint import load_model_from_checkpoint

        model = load_model_from_checkpoint(weights)
    else:
        from yunet.weights import load_official_checkpoint

        model = load_official_checkpoint(weights)
    return ModelDetector(
        model.eval(), score_threshold=args.score_threshold, nms_threshold=args.nms_threshold, top_k=args.top_k
    )


def _run_widerface(args: argparse.Namespace) -> int:
    ground_truth = load_ground_truth(args.gt)
    if args.predictions:
        predictions = read_predictions(args.predictions)
    else:
        if not args.images:
            print("error: --images is required with --weights", file=sys.stderr)
            return 2
        predictions = predict_folder(_make_detector(args), list_images(args.images))
    if args.save_predictions:
        write_predictions(args.save_predictions, predictions)
    result = evaluate(predictions, ground_truth, restrict_to_predicted=not args.all_images)
    print(result.summary())
    if args.plots:
        for path in plot_pr_curves(result, args.plots):
            print(f"wrote {path}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "ap": dict(result.ap),
                    "num_faces": dict(result.num_faces),
                    "num_images": result.num_images,
                    "num_images_total": result.num_images_total,
                    "subset": result.is_subset,
                },
                indent=2,
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run_widerface(args) if args.command == "widerface" else _run_labelv2(args)
    except YunetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
