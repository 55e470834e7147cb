"""Two models scored on the same photos, compared photo by photo: the paired difference of their
scores with its bootstrap standard error, so that a gap can be told from the spread of the photos."""

from __future__ import annotations

import numpy as np

from bgremover.errors import UsageError

DRAWS = 2000  # bootstrap resamples of the photos


def compare_scores(scores, base, draws: int = DRAWS, seed: int = 0) -> dict:
    """Per-photo ``scores`` of a method against ``base`` (the same photos in the same order): how many
    photos it scores above / below, the mean and median of the differences, and the standard error
    of the mean difference from ``draws`` bootstrap resamples of the photos.

    Example:
        >>> stats = compare_scores([0.9, 0.8, 0.9], [0.8, 0.8, 0.8])
        >>> stats["better"], stats["worse"], round(stats["mean_difference"], 3), round(stats["median_difference"], 3)
        (2, 0, 0.067, 0.1)
    """
    scores, base = np.asarray(scores, np.float64), np.asarray(base, np.float64)
    if scores.shape != base.shape or scores.ndim != 1 or not len(scores):
        raise UsageError(f"scores and base must be equally long lists of photos, got {scores.shape} and {base.shape}")
    difference = scores - base
    picks = np.random.default_rng(seed).integers(0, len(difference), size=(draws, len(difference)))
    return {
        "better": int((difference > 0).sum()),
        "worse": int((difference < 0).sum()),
        "mean_difference": float(difference.mean()),
        "median_difference": float(np.median(difference)),
        "standard_error": float(difference[picks].mean(axis=1).std()),
    }
