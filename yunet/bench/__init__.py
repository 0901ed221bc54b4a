"""Benchmarks: `python -m yunet.bench {model,detect,train} ...`.

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args) -> int`.
Results are printed side by side with OpenCV's `FaceDetectorYN` where a comparison applies.
"""
