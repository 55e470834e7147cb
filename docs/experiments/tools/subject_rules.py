"""Score the rules that pick the people a photo is about — everyone, the main subject, and the main
subject with hysteresis linking (:func:`bgremover.subjects.main_subjects` with ``low``) — on one
model's alphas: a training run's validation set (per part) and every benchmark set. The network runs
once per image (every person kept); each rule is applied to that alpha.

    python docs/experiments/tools/subject_rules.py [--config RUN/config.json] --data ../shared/data [--model default]

Prints IoU (per-image mean, threshold 0.5) per rule and set.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

LOWS = (0.1, 0.2, 0.3)


def rules() -> dict:
    """Rule name → function of the every-person alpha."""
    from bgremover.subjects import main_subjects

    table = {"everyone": lambda alpha: alpha, "main subject": main_subjects}
    for low in LOWS:
        table[f"hysteresis, low {low}"] = lambda alpha, low=low: main_subjects(alpha, low=low)
    return table


def score(segmenter, samples, labels: list[str]) -> dict[tuple[str, str], float]:
    """(rule, part) → mean IoU over ``samples`` of (image, mask), grouped by ``labels``."""
    from bgremover.metrics import iou

    table = rules()
    scores = defaultdict(list)
    for (image, mask), label in zip(samples, labels, strict=True):
        alpha = segmenter.predict(image, subject="all")
        for name, rule in table.items():
            scores[name, label].append(iou(rule(alpha), mask))
    return {key: float(np.mean(values)) for key, values in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--config", help="a recipe or a run's config.json: its validation set (default: configs/default-finetune.yaml)"
    )
    parser.add_argument("--data", help="benchmark data folder (default: $BGREMOVER_DATA_DIR)")
    parser.add_argument("--model", default="default", help="model source")
    args = parser.parse_args()
    from bgremover import load_model
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.io import read_image, read_mask
    from bgremover.train.validate import validation_samples
    from bgremover_leaderboard.datasets import benchmarks

    segmenter = load_model(args.model)
    samples, labels = validation_samples(args.config or DEFAULT_RECIPE)
    results = score(segmenter, samples, [f"validation {label}" for label in labels])
    for name, bench in benchmarks(args.data).items():
        samples = [(read_image(image), read_mask(mask)) for image, mask in bench.pairs]
        results |= score(segmenter, samples, [name] * len(samples))
    columns = list(dict.fromkeys(part for _, part in results))
    print("| rule | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name in rules():
        print(f"| {name} | " + " | ".join(f"{results[name, part]:.4f}" for part in columns) + " |", flush=True)


if __name__ == "__main__":
    main()
