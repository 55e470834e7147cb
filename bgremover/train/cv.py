"""K-fold cross-validation on the training split: mean ± std of every validation metric."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from bgremover.data import SegmentationFolder
from bgremover.errors import UsageError
from bgremover.train.config import TrainConfig
from bgremover.train.trainer import Trainer


def kfold(stems: list[str], folds: int, seed: int = 42) -> list[tuple[list[str], list[str]]]:
    """Shuffled K-fold splits (like scikit-learn's ``KFold(shuffle=True)``) of ``stems``.

    Example:
        >>> splits = kfold([str(i) for i in range(10)], 5)
        >>> [len(v) for _, v in splits], sorted(sum((v for _, v in splits), []), key=int)[:3]
        ([2, 2, 2, 2, 2], ['0', '1', '2'])
    """
    if folds < 2 or folds > len(stems):
        raise UsageError(f"folds must be between 2 and {len(stems)}, got {folds}")
    order = np.random.default_rng(seed).permutation(len(stems))
    parts = np.array_split(order, folds)
    return [
        ([stems[i] for i in np.concatenate(parts[:k] + parts[k + 1 :])], [stems[i] for i in part])
        for k, part in enumerate(parts)
    ]


FOLD_RESULT = "cv_fold.json"


def cross_validate(config: TrainConfig, folds: int = 5, seed: int = 42, only: list[int] | None = None) -> dict | None:
    """Train one model per fold into ``out_dir/fold_k``; once every fold has a result, write ``cv.json``
    and ``cv.md`` and return the summary (``None`` while folds are missing).

    ``only`` trains just those folds, so separate processes or machines can share the work.
    """
    stems = SegmentationFolder(config.data, split=config.split).stems
    out_dir = Path(config.out_dir)
    splits = kfold(stems, folds, seed)
    for k in only if only is not None else range(folds):
        if not 0 <= k < folds:
            raise UsageError(f"fold {k} is not in 0..{folds - 1}")
        fold_dir = out_dir / f"fold_{k}"
        values = Trainer(dataclasses.replace(config, out_dir=str(fold_dir)), stems=splits[k]).fit()
        (fold_dir / FOLD_RESULT).write_text(json.dumps(values))
    results = [out_dir / f"fold_{k}" / FOLD_RESULT for k in range(folds)]
    if not all(path.is_file() for path in results):
        return None
    per_fold = [json.loads(path.read_text()) for path in results]
    names = list(per_fold[0])
    summary = {
        "folds": folds,
        "per_fold": per_fold,
        "mean": {n: float(np.mean([f[n] for f in per_fold])) for n in names},
        "std": {n: float(np.std([f[n] for f in per_fold])) for n in names},
    }
    (out_dir / "cv.json").write_text(json.dumps(summary, indent=2))
    (out_dir / "cv.md").write_text(format_table(summary))
    return summary


def format_table(summary: dict) -> str:
    """Markdown table of mean ± std per metric."""
    rows = [f"| {n} | {summary['mean'][n]:.4f} ± {summary['std'][n]:.4f} |" for n in summary["mean"]]
    return (
        "\n".join([f"{summary['folds']}-fold cross-validation", "", "| metric | mean ± std |", "|---|---|", *rows])
        + "\n"
    )
