"""Score models as they run (full photos, their working size and runtime) on a training run's
validation set — the held-out photos, the held-out extra photos and the close-up composites of
:func:`bgremover.train.builders.build_datasets` — never on a benchmark set. This is how candidates
(checkpoints, working sizes, TTA) are chosen between.

    python tools/validate.py --model shipped=default new=runs/NAME/best new@384=runs/NAME/best:384 \\
        [--config configs/default-finetune.yaml] [--real-closeups] [--tta] [--multiscale] [--digits 6] [--threshold 0.4]
        [--paired]

The validation set is the one of the committed recipe ``configs/default-finetune.yaml`` unless
``--config`` names another run's (its data, split and validation options).

Prints IoU (per-image mean, threshold 0.5 or ``--threshold``, main subject) per part of the validation set and
over all. ``--paired`` adds every other row's difference from the first model's, photo by photo, with its
bootstrap standard error (:func:`bgremover_leaderboard.paired.compare_scores`): whether a candidate's gain
is larger than what the validation photos' spread can tell.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

RECIPE = Path(__file__).resolve().parents[1] / "configs" / "default-finetune.yaml"


def part_labels(val) -> list[str]:
    """The part of the validation set each image belongs to."""
    from bgremover.data import CompositeSet, ConcatPairs
    from bgremover.train.builders import REAL_CLOSEUPS, VALIDATION_COMPOSITES

    parts = val.parts if isinstance(val, ConcatPairs) else [val]
    composites = {prefix: name for prefix, _, name in VALIDATION_COMPOSITES.values()} | dict([REAL_CLOSEUPS])
    names = ["held-out"] + [
        composites[part.prefix] if isinstance(part, CompositeSet) else "held-out extra" for part in parts[1:]
    ]
    return [name for part, name in zip(parts, names, strict=True) for _ in range(len(part))]


def validation_samples(config_path: str | None = None, real_closeups: bool = False) -> tuple[list, list[str]]:
    """A run's validation set (the committed recipe's by default; ``real_closeups``: with its part of
    real close-ups too) as users send photos (whole, unresized): (image, mask) pairs and the part each
    belongs to."""
    from bgremover.train.builders import build_datasets
    from bgremover.train.config import TrainConfig

    config = TrainConfig.from_file(config_path or RECIPE)
    config.val_real_closeups |= real_closeups
    _, val = build_datasets(config)
    val.transform = None
    return [val.load(i) for i in range(len(val))], part_labels(val)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--config", help="a recipe or a run's config.json: its validation set (default: configs/default-finetune.yaml)"
    )
    parser.add_argument("--model", nargs="+", required=True, help="NAME=SOURCE[:WORKING_SIZE]")
    parser.add_argument(
        "--real-closeups", action="store_true", help="add the part of real close-ups (val_real_closeups) if not set"
    )
    parser.add_argument("--tta", action="store_true", help="also score each model with flip TTA")
    parser.add_argument("--multiscale", action="store_true", help="also score each model with flip + multi-scale TTA")
    parser.add_argument("--digits", type=int, default=4, help="decimals printed (more to tell near ties apart)")
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="alpha from which a pixel counts as person (default 0.5)"
    )
    parser.add_argument(
        "--paired", action="store_true", help="also print each row's paired difference from the first model's"
    )
    args = parser.parse_args()
    if not 0 < args.threshold < 1:
        parser.error(f"--threshold must lie strictly between 0 and 1, got {args.threshold}")
    from bgremover import load_model
    from bgremover.constants import MULTISCALE
    from bgremover.metrics import iou
    from bgremover_leaderboard.paired import compare_scores

    variants = {"": {}} | ({"+flip": {"tta": True}} if args.tta else {})
    variants |= {"+flip+multiscale": {"tta": True, "scales": MULTISCALE}} if args.multiscale else {}

    samples, labels = validation_samples(args.config, args.real_closeups)
    print(f"validation: {len(samples)} images ({', '.join(f'{labels.count(p)} {p}' for p in dict.fromkeys(labels))})")
    parts = list(dict.fromkeys(labels))
    columns = {p: [i for i, label in enumerate(labels) if label == p] for p in parts} | {"all": range(len(labels))}
    header = "| model | " + " | ".join(columns) + " |\n" + "|---" * (len(columns) + 1) + "|"
    print("\n" + header)
    rows = {}  # row name -> per-image IoU in the order of the samples
    for spec in args.model:
        name, source = spec.split("=", 1)
        size = None
        if ":" in source and source.rsplit(":", 1)[1].isdigit():
            source, size = source.rsplit(":", 1)[0], int(source.rsplit(":", 1)[1])
        segmenter = load_model(source, working_size=size)
        for suffix, options in variants.items():
            ious = [
                iou((segmenter.predict(image, **options) >= args.threshold).astype(np.float32), mask)
                for image, mask in samples
            ]
            rows[name + suffix] = ious
            row = [f"{np.mean([ious[i] for i in indices]):.{args.digits}f}" for indices in columns.values()]
            print(f"| {name}{suffix} | " + " | ".join(row) + " |", flush=True)
    if args.paired and len(rows) > 1:
        first, *others = rows
        print(f"\ndifference from {first}, photo by photo (bootstrap standard error):\n\n" + header)
        for other in others:
            cells = []
            for indices in columns.values():
                stats = compare_scores([rows[other][i] for i in indices], [rows[first][i] for i in indices])
                cells.append(f"{stats['mean_difference']:+.{args.digits}f} ({stats['standard_error']:.{args.digits}f})")
            print(f"| {other} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
