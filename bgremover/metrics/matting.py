"""Alpha-matting errors: SAD, MSE and gradient error (on alpha in [0, 1])."""

from __future__ import annotations

import numpy as np

from bgremover.metrics.classification import check_maps


def sad(pred: np.ndarray, gt: np.ndarray) -> float:
    """Sum of absolute differences / 1000.

    Example:
        >>> sad(np.ones((10, 100)), np.zeros((10, 100)))
        1.0
    """
    check_maps(pred, gt)
    return float(np.abs(pred.astype(np.float64) - gt).sum() / 1000.0)


def mse(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean squared difference."""
    check_maps(pred, gt)
    return float(np.mean((pred.astype(np.float64) - gt) ** 2))


def gradient_magnitude(alpha: np.ndarray, sigma: float = 1.4) -> np.ndarray:
    """Magnitude of Gaussian-derivative gradients (σ = ``sigma``), reflect-padded."""
    from scipy.ndimage import gaussian_filter  # scipy comes with the train and app extras

    alpha = alpha.astype(np.float64)
    gx = gaussian_filter(alpha, sigma, order=(0, 1))
    gy = gaussian_filter(alpha, sigma, order=(1, 0))
    return np.hypot(gx, gy)


def gradient_error(pred: np.ndarray, gt: np.ndarray, sigma: float = 1.4) -> float:
    """Σ (|∇pred| − |∇gt|)² / 1000 with Gaussian-derivative gradients (Rhemann et al.).

    Example:
        >>> gt = np.zeros((8, 8)); gt[:, 4:] = 1
        >>> gradient_error(gt, gt)
        0.0
    """
    check_maps(pred, gt)
    diff = gradient_magnitude(pred, sigma) - gradient_magnitude(gt, sigma)
    return float((diff**2).sum() / 1000.0)
