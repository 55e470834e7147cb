"""``python -m bgremover_leaderboard run|check|table|card|compare``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bgremover_leaderboard.datasets import benchmarks, folder_benchmark
from bgremover_leaderboard.framing import FRAMINGS
from bgremover_leaderboard.report import RESULTS_DIR


def _named(parser: argparse.ArgumentParser, option: str, specs: list[str]) -> list[tuple[str, str]]:
    """``NAME=VALUE`` strings as (name, value) pairs; a malformed one is a usage error."""
    pairs = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name or not value:
            parser.error(f"{option} takes NAME=VALUE, got {spec!r}")
        pairs.append((name, value))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bgremover_leaderboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("run", "evaluate methods on benchmarks and write results"),
        ("check", "re-run a sample; fail if a committed number does not reproduce"),
        ("table", "regenerate results/README.md from the JSON"),
        ("card", "write a model folder's README.md (model card) from its training run and the results"),
        ("tier-card", "write a shipped tier's README.md from its card.yaml and the committed results"),
        ("compare", "compare methods photo by photo on one set against a baseline (paired, with standard errors)"),
    ]:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder")
        if name in ("run", "check"):
            p.add_argument(
                "--folder",
                nargs="+",
                default=[],
                metavar="NAME=PATH",
                help="evaluate on these folders of images/ and masks/ (same stems) as sets NAME, e.g. "
                "portraits=~/heldout (only these, unless --data-dir is given too); use with --results "
                "to keep them out of the committed table",
            )
        if name == "compare":
            p.add_argument("--dataset", required=True, help="the set to compare on (its results file's name)")
            p.add_argument("--baseline", default="mediapipe_selfie", help="the method every other is compared with")
            p.add_argument("--framing", choices=FRAMINGS, help="only the photos of this framing")
            p.add_argument("--metric", default="iou", help="per-image metric (default: iou)")
        if name not in ("table", "compare"):
            p.add_argument("--methods", nargs="*", help="method names (default: all)")
            p.add_argument("--datasets", nargs="*", help="dataset names (default: all)")
            p.add_argument("--data-dir", help="data folder (default: $BGREMOVER_DATA_DIR), e.g. ../shared/data")
        if name == "run":
            p.add_argument("--limit", type=int, help="only the first N images of each set (smoke runs)")
            p.add_argument(
                "--model",
                nargs="+",
                default=[],
                metavar="NAME=SOURCE",
                help="also evaluate these bgremover models (folder or Hub id) as ours:NAME, "
                "e.g. lite2=runs/lite2/best; use with --results to keep them out of the committed table",
            )
            p.add_argument("--model-size", type=int, help="working long side for the --model entries")
            p.add_argument("--model-backend", help="torch | onnx | openvino for the --model entries")
            p.add_argument(
                "--model-square",
                action="store_true",
                default=None,
                help="resize the input to size² whatever its aspect for the --model entries (as the fast tier)",
            )
            p.add_argument(
                "--model-subject", choices=("main", "all"), help="main subject or everyone for the --model entries"
            )
        if name == "card":
            p.add_argument("--model", required=True, help="the model folder to write README.md into")
            p.add_argument("--run", required=True, help="the training run folder it came from")
            p.add_argument("--limitations", help="one observed limitation per line (default: <model>/limitations.txt)")
            p.add_argument(
                "--design",
                help="results of the ablation runs (+ cv/cv.json), e.g. bgremover_leaderboard/results/design",
            )
            p.add_argument(
                "--averaged-from", nargs="+", default=(), metavar="TEXT", help="the models a weight average was made of"
            )
            p.add_argument("--epoch", type=int, help="the weights are the run's epoch-N/ folder (--keep-epochs)")
        if name == "tier-card":
            p.add_argument("model", nargs="+", help="shipped tier folders, e.g. bgremover/pretrained/bgremover-lite2")
        if name == "check":
            p.add_argument("--sample", type=int, default=3, help="images per (dataset, method)")
    args = parser.parse_args(argv)
    if args.command == "tier-card":
        from bgremover_leaderboard.tier_card import write_tier_card

        for folder in args.model:
            print(f"wrote {write_tier_card(folder, args.results)}")
        return 0
    if args.command == "card":
        from bgremover_leaderboard.card import write_model_card

        path = Path(args.limitations or Path(args.model) / "limitations.txt")
        limitations = [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
        card = write_model_card(
            args.model, args.run, limitations, args.results, args.design, args.averaged_from, args.epoch
        )
        print(f"wrote {card}")
        return 0
    if args.command == "compare":
        from bgremover_leaderboard.paired import markdown, paired_differences

        path = args.results / f"{args.dataset}.json"
        if not path.is_file():
            parser.error(
                f"no results for {args.dataset!r} in {args.results} (run `python -m bgremover_leaderboard run` first)"
            )
        try:
            rows = paired_differences(json.loads(path.read_text()), args.baseline, args.framing, args.metric)
        except ValueError as err:
            parser.error(str(err))
        except KeyError:
            parser.error(f"the results of {args.dataset!r} have no per-image {args.metric!r}")
        print(markdown(rows, args.baseline, args.metric))
        return 0
    if args.command == "table":
        from bgremover_leaderboard.report import write_markdown

        print(f"wrote {write_markdown(args.results)}")
        return 0
    from bgremover_leaderboard.methods import Ours, all_methods

    methods = all_methods()
    for name, source in _named(parser, "--model", getattr(args, "model", [])):
        methods[f"ours:{name}"] = Ours(
            f"ours:{name}",
            source,
            working_size=args.model_size,
            backend=args.model_backend,
            square=args.model_square,
            **({"subject": args.model_subject} if args.model_subject else {}),
        )
    if args.methods:
        unknown = sorted(set(args.methods) - set(methods))
        if unknown:
            parser.error(f"unknown methods {unknown}; available: {sorted(methods)}")
        methods = {n: methods[n] for n in args.methods}
    folders = _named(parser, "--folder", args.folder)
    try:
        sets = benchmarks(args.data_dir) if args.data_dir or not folders else {}
        sets.update({name: folder_benchmark(name, path) for name, path in folders})
    except FileNotFoundError as err:
        parser.error(str(err))
    if args.datasets:
        unknown = sorted(set(args.datasets) - set(sets))
        if unknown:
            parser.error(f"unknown datasets {unknown}; available: {sorted(sets)}")
        sets = {n: sets[n] for n in args.datasets}
    if args.command == "run":
        from bgremover_leaderboard.harness import run

        run(methods, sets, args.results, args.limit)
        return 0
    from bgremover_leaderboard.check import check

    problems = check(methods, sets, args.sample, args.results)
    for problem in problems:
        print("MISMATCH", problem, file=sys.stderr)
    print("all sampled numbers reproduce" if not problems else f"{len(problems)} numbers do not reproduce")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
