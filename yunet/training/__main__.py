"""Command line: `python -m yunet.training --config training/yunet_n.yaml [--override key=value ...]`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from yunet.errors import YunetError


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m yunet.training",
        description="Train YuNet with the original recipe on one device (CPU or one GPU).",
    )
    parser.add_argument("--config", required=True, help="training YAML, for example training/yunet_n.yaml")
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a config field (dotted key, YAML value), for example optimizer.lr=0.005; repeatable",
    )
    parser.add_argument("--resume", help="checkpoint to continue from exactly (for example runs/yunet_n/last.pt)")
    parser.add_argument("--print-config", action="store_true", help="print the validated config and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    from yunet.training.config import load_config

    try:
        config = load_config(args.config, args.override)
    except YunetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.print_config:
        print(config.model_dump_json(indent=2))
        return 0
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(output_dir / "train.log")],
    )
    from yunet.training.trainer import Trainer

    try:
        Trainer(config, resume=args.resume).train()
    except KeyboardInterrupt:
        print(f"interrupted; the last finished step is saved in {output_dir / 'last.pt'}", file=sys.stderr)
        return 130
    except YunetError as error:
        logging.getLogger("yunet.training").error("%s", error)
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
