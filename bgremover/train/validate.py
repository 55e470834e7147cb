"""Models scored as they run (whole photos, their working size and runtime) on a training run's
validation set — the held-out photos, the held-out extra photos and the close-up composites of
:func:`bgremover.train.builders.build_datasets` — never on a benchmark set: how candidates
(checkpoints, working sizes, TTA) are chosen between (``bgremover validate``).

IoU is the per-image mean at a threshold (0.5 unless told), main subject, per part of the validation
set and over all; paired rows give every other row's difference from the first model's, photo by
photo, with its bootstrap standard error (:func:`bgremover.metrics.paired.compare_scores`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from bgremover.constants import DEFAULT_RECIPE, MULTISCALE, UPSAMPLERS
from bgremover.errors import UsageError
from bgremover.metrics import iou
from bgremover.metrics.paired import compare_scores

VARIANTS = {
    "": {},
    "+flip": {"tta": True},
    "+flip+multiscale": {"tta": True, "scales": MULTISCALE},
    **{f"+{name}": {"upsample": name} for name in UPSAMPLERS},  # the network's map resized, or along the edges
}


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


def validation_samples(config_path: str, real_closeups: bool = False) -> tuple[list, list[str]]:
    """A run's validation set (``real_closeups``: with its part of real close-ups too) as users send
    photos (whole, unresized): (image, mask) pairs and the part each belongs to."""
    from pathlib import Path

    from bgremover.train.builders import build_datasets
    from bgremover.train.config import TrainConfig

    if not Path(config_path).is_file():
        raise UsageError(f"no training config at {config_path}: name a recipe or a run's config.json")
    config = TrainConfig.from_file(config_path)
    config.val_real_closeups |= real_closeups
    _, val = build_datasets(config)
    val.transform = None
    return [val.load(i) for i in range(len(val))], part_labels(val)


def parse_model(spec: str) -> tuple[str, str, int | None]:
    """``NAME=SOURCE[:WORKING_SIZE]`` → (name, source, working size or None)."""
    if "=" not in spec:
        raise UsageError(f"a model is NAME=SOURCE[:WORKING_SIZE], got {spec!r}")
    name, source = spec.split("=", 1)
    head, _, tail = source.rpartition(":")
    return (name, head, int(tail)) if head and tail.isdigit() else (name, source, None)


def score_rows(
    models: Iterable[tuple[str, object]], samples: Sequence, variants: Sequence[str] = ("",), threshold: float = 0.5
) -> dict[str, list[float]]:
    """Row name → per-image IoU (in the order of ``samples``) for each (name, segmenter) and variant
    (keys of :data:`VARIANTS`)."""
    if not 0 < threshold < 1:
        raise UsageError(f"the threshold must lie strictly between 0 and 1, got {threshold}")
    rows = {}
    for name, segmenter in models:
        for suffix in variants:
            alphas = (segmenter.predict(image, **VARIANTS[suffix]) for image, _ in samples)
            masks = (mask for _, mask in samples)
            rows[name + suffix] = [
                iou((alpha >= threshold).astype(np.float32), mask) for alpha, mask in zip(alphas, masks, strict=True)
            ]
    return rows


def table(rows: dict[str, list[float]], labels: list[str], digits: int = 4, paired: bool = False) -> list[str]:
    """Markdown lines: each row's mean per part and over all; ``paired``: then each row's paired
    difference from the first's with its standard error."""
    parts = list(dict.fromkeys(labels))
    columns = {p: [i for i, label in enumerate(labels) if label == p] for p in parts} | {"all": range(len(labels))}
    header = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines = [*header]
    for name, ious in rows.items():
        lines.append(
            f"| {name} | " + " | ".join(f"{np.mean([ious[i] for i in c]):.{digits}f}" for c in columns.values()) + " |"
        )
    if paired and len(rows) > 1:
        first, *others = rows
        lines += ["", f"difference from {first}, photo by photo (bootstrap standard error):", "", *header]
        for other in others:
            cells = []
            for indices in columns.values():
                stats = compare_scores([rows[other][i] for i in indices], [rows[first][i] for i in indices])
                cells.append(f"{stats['mean_difference']:+.{digits}f} ({stats['standard_error']:.{digits}f})")
            lines.append(f"| {other} | " + " | ".join(cells) + " |")
    return lines


def validate(
    specs: Sequence[str],
    config_path: str = DEFAULT_RECIPE,
    real_closeups: bool = False,
    variants: Sequence[str] = ("",),
    threshold: float = 0.5,
    digits: int = 4,
    paired: bool = False,
    print_line: Callable[[str], None] = print,
) -> dict[str, list[float]]:
    """Load each ``NAME=SOURCE[:SIZE]`` model, score it on ``config_path``'s validation set and print the table."""
    from bgremover.models import load_model

    models = [parse_model(spec) for spec in specs]
    samples, labels = validation_samples(config_path, real_closeups)
    counts = ", ".join(f"{labels.count(p)} {p}" for p in dict.fromkeys(labels))
    print_line(f"validation: {len(samples)} images ({counts})")
    loaded = ((name, load_model(source, working_size=size)) for name, source, size in models)
    rows = score_rows(loaded, samples, variants, threshold)
    print_line("\n" + "\n".join(table(rows, labels, digits, paired)))
    return rows
