"""Command-line entry of the benchmarks: `python -m yunet.bench SUBCOMMAND --help`."""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand name -> module (imported lazily, so one benchmark's optional dependencies do not affect another).
SUBCOMMANDS = {
    "model": ("yunet.bench.model", "parameters, FLOPs and fused/unfused latency of a model preset"),
    "detect": ("yunet.bench.detect", "end-to-end detection speed against cv2.FaceDetectorYN"),
    "train": ("yunet.bench.train", "training step time and the share of assigner and losses"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m yunet.bench", description="yunet benchmarks")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, add_help=False)  # the module parser gives --help
        subparser.set_defaults(module_name=module_name)
    args, rest = parser.parse_known_args(argv)
    module = importlib.import_module(args.module_name)
    sub_parser = argparse.ArgumentParser(prog=f"python -m yunet.bench {args.command}")
    module.add_arguments(sub_parser)
    return int(module.run(sub_parser.parse_args(rest)))


if __name__ == "__main__":
    sys.exit(main())
