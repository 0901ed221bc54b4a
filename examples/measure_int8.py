"""Measure an int8 YuNet against the float model: face agreement and WIDER FACE AP on a folder of val images.

Usage:
    python examples/measure_int8.py WEIGHTS INT8_ONNX VAL_IMAGES GT_DIR

WEIGHTS is the float model (official `.pth` or any `from_pretrained` source); INT8_ONNX is the file written by
`yunet.quantize.quantize_int8`; VAL_IMAGES is a `WIDER_val/images`-style folder (`<event>/<name>.jpg`); GT_DIR
contains the official `wider_*_val.mat` files. Both models run with score 0.02 and NMS 0.45, the WIDER protocol.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from yunet.backends import OnnxRuntimeRunner
from yunet.detector import FaceDetector
from yunet.eval.inference import list_images
from yunet.eval.widerface import evaluate, load_ground_truth
from yunet.quantize import measure_agreement
from yunet.results import Detections


def _rows(faces: Detections) -> np.ndarray:
    """Return `(N, 5)` rows `x, y, w, h, score`, the WIDER FACE submission layout."""
    return np.concatenate([faces.boxes_xywh, faces.scores[:, None]], axis=1)


def _confident(faces: Detections, threshold: float = 0.5) -> Detections:
    keep = faces.scores >= threshold
    return Detections(faces.boxes[keep], faces.scores[keep], faces.landmarks[keep], image_size=faces.image_size)


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    weights, int8_path, images_dir, gt_dir = sys.argv[1:]
    float_detector = FaceDetector.from_pretrained(weights, backend="onnxruntime", large_face_pass=False)
    int8_detector = FaceDetector.from_pretrained(weights, backend="onnxruntime", large_face_pass=False)
    int8_detector.runner = OnnxRuntimeRunner(int8_path)  # same decode and NMS, int8 network

    options = {"score_threshold": 0.02, "nms_threshold": 0.45, "top_k": 5000}
    pairs, float_predictions, int8_predictions = [], {}, {}
    for path in list_images(images_dir):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        float_faces, int8_faces = float_detector(image, **options), int8_detector(image, **options)
        # Agreement is measured on confident faces (score 0.5), AP on the full low-threshold output.
        pairs.append((_confident(float_faces), _confident(int8_faces)))
        float_predictions.setdefault(Path(path).parent.name, {})[Path(path).stem] = _rows(float_faces)
        int8_predictions.setdefault(Path(path).parent.name, {})[Path(path).stem] = _rows(int8_faces)

    agreement = measure_agreement(pairs)
    print(f"images: {len(pairs)}")
    print(f"agreement at score 0.5: {agreement}")
    ground_truth = load_ground_truth(gt_dir)
    for name, predictions in (("float", float_predictions), ("int8", int8_predictions)):
        result = evaluate(predictions, ground_truth)
        print(f"{name} AP (subset): " + "  ".join(f"{key} {value:.4f}" for key, value in result.ap.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
