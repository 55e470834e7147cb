"""Temporal metrics on consecutive alpha maps: flicker outside the moving edge band, and dtSSD."""

from __future__ import annotations

import numpy as np

from bgremover.errors import UsageError
from bgremover.metrics.boundary import trimap_band
from bgremover.metrics.classification import THRESHOLD, check_maps

EDGE_BAND = 10  # pixels either side of the ground truth's edge, in each of the two frames


def moving_edge_band(gt_previous: np.ndarray, gt: np.ndarray, width: int = EDGE_BAND) -> np.ndarray:
    """Pixels near the ground truth's edge in either frame, or whose ground truth changed between them:
    where alpha is expected to change.

    Example:
        >>> a = np.zeros((1, 40)); b = a.copy(); b[0, 30:] = 1
        >>> int(moving_edge_band(a, a).sum()), bool(moving_edge_band(a, b)[0, 35])
        (0, True)
    """
    changed = (gt_previous >= THRESHOLD) != (gt >= THRESHOLD)
    return changed | trimap_band(gt_previous, width) | trimap_band(gt, width)


def flicker(alphas: list[np.ndarray], gts: list[np.ndarray], width: int = EDGE_BAND) -> float:
    """Mean |αₜ − αₜ₋₁| over the pixels outside :func:`moving_edge_band`, averaged over consecutive pairs
    (0 = perfectly steady where nothing should change).

    Example:
        >>> gt = [np.zeros((4, 4))] * 3
        >>> flicker([np.zeros((4, 4)), np.full((4, 4), 0.2), np.zeros((4, 4))], gt)
        0.2
    """
    _check_sequence(alphas, gts)
    values = []
    for t in range(1, len(alphas)):
        still = ~moving_edge_band(gts[t - 1], gts[t], width)
        if still.any():
            values.append(float(np.abs(alphas[t] - alphas[t - 1])[still].mean()))
    return round(float(np.mean(values)), 6) if values else 0.0


def dtssd(alphas: list[np.ndarray], gts: list[np.ndarray]) -> float:
    """dtSSD (Erofeev et al. 2015, as video-matting papers report it): per pair of frames, the root
    mean square of ``(αₜ − αₜ₋₁) − (gₜ − gₜ₋₁)``, averaged over pairs and scaled by 100.

    Example:
        >>> gt = [np.zeros((2, 2)), np.ones((2, 2))]
        >>> dtssd([np.zeros((2, 2)), np.ones((2, 2))], gt), dtssd([np.zeros((2, 2))] * 2, gt)
        (0.0, 100.0)
    """
    _check_sequence(alphas, gts)
    values = [
        float(np.sqrt(np.mean(((alphas[t] - alphas[t - 1]) - (gts[t] - gts[t - 1])) ** 2)))
        for t in range(1, len(alphas))
    ]
    return round(100.0 * float(np.mean(values)), 6)


def _check_sequence(alphas: list[np.ndarray], gts: list[np.ndarray]) -> None:
    if len(alphas) != len(gts) or len(alphas) < 2:
        raise UsageError(f"need two or more alphas and as many ground truths, got {len(alphas)} and {len(gts)}")
    for alpha, gt in zip(alphas, gts, strict=True):
        check_maps(alpha, gt)
