"""The ``bgremover`` command line: train, sanity tools, cross-validation, cut, export, push."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register ``run(args) -> exit code`` as subcommand ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help_text, configure, run)
        return run

    return register


def _train_options(parser: argparse.ArgumentParser) -> None:
    from bgremover.train.config import TrainConfig

    TrainConfig.add_arguments(parser)


@command("train", "train a model (all TrainConfig fields are options)", _train_options)
def _train(args: argparse.Namespace) -> int:
    from bgremover.train import TrainConfig, Trainer

    values = Trainer(TrainConfig.from_args(args)).fit()
    print({k: round(v, 4) for k, v in values.items()})
    return 0


def _cut_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders (recursive)")
    parser.add_argument("-o", "--output", default="cutouts", help="output folder (default: cutouts)")
    parser.add_argument("--mask", action="store_true", help="write the alpha mask instead of the cut-out")
    parser.add_argument("--tta", action="store_true", help="flip test-time augmentation")
    parser.add_argument("--multiscale", action="store_true", help="average scales 0.75, 1.0, 1.25")
    parser.add_argument("--refine", action="store_true", help="guided-filter edge refinement")
    parser.add_argument("--bg", default="transparent", help="transparent | blur | COLOR (#rrggbb, name) | IMAGE")
    parser.add_argument("--model", default=None, help="default | fast | model folder | Hub repo id")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: auto)")


@command("cut", "remove the background of images and folders (PNG out)", _cut_options)
def _cut(args: argparse.Namespace) -> int:
    from bgremover.batch import cut_files

    failures = cut_files(args)
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bgremover", description="Person background removal.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, configure, run) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        configure(child)
        child.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
