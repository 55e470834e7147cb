"""The guided filter against an independent implementation of He et al. (2013), written from the paper:
explicit windows per pixel, a 3×3 solve per pixel, NumPy only."""

from __future__ import annotations

import numpy as np
import pytest

from bgremover.refine import guided_filter, refine_alpha


def reference_guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Colour guided filter, pixel by pixel: a_k = (Σ_k + εU)⁻¹ cov_k(I, p), b_k = p̄_k − a_kᵀ μ_k,
    q_i = mean over windows k ∋ i of a_kᵀ I_i + b_k; windows mirrored at the border (… c b a | a b c …)."""
    height, width = source.shape
    pad = radius
    g = np.pad(guide.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)), mode="symmetric")
    p = np.pad(source.astype(np.float64), pad, mode="symmetric")
    a = np.zeros((height + 2 * pad, width + 2 * pad, 3))
    b = np.zeros((height + 2 * pad, width + 2 * pad))
    for y in range(pad, height + pad):  # coefficients of every window centred in the photo
        for x in range(pad, width + pad):
            window_g = g[y - pad : y + pad + 1, x - pad : x + pad + 1].reshape(-1, 3)
            window_p = p[y - pad : y + pad + 1, x - pad : x + pad + 1].reshape(-1)
            mu, mean_p = window_g.mean(0), window_p.mean()
            sigma = (window_g - mu).T @ (window_g - mu) / len(window_p)
            cov = (window_g * window_p[:, None]).mean(0) - mu * mean_p
            a[y, x] = np.linalg.solve(sigma + eps * np.eye(3), cov)
            b[y, x] = mean_p - a[y, x] @ mu
    # windows centred outside the photo are the mirror images of those inside it
    for array in (a, b):
        inner = array[pad : height + pad, pad : width + pad].copy()
        array[:] = np.pad(inner, ((pad, pad), (pad, pad), *(((0, 0),) if array.ndim == 3 else ())), mode="symmetric")
    out = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            ys, xs = slice(y, y + 2 * pad + 1), slice(x, x + 2 * pad + 1)
            out[y, x] = a[ys, xs].reshape(-1, 3).mean(0) @ guide[y, x] + b[ys, xs].mean()
    return np.clip(out, 0.0, 1.0)


@pytest.mark.parametrize("radius, eps", [(1, 1e-3), (2, 1e-4), (3, 1e-2)])
def test_guided_filter_matches_the_papers_formula(radius, eps):
    rng = np.random.default_rng(radius)
    guide = rng.random((13, 17, 3))
    guide[:, 9:] += 0.5  # an edge for the filter to follow
    source = (rng.random((13, 17)) > 0.5).astype(np.float64) * 0.7 + 0.1
    got = guided_filter(np.clip(guide, 0, 1), source, radius, eps)
    want = reference_guided_filter(np.clip(guide, 0, 1), source, radius, eps)
    assert np.abs(got - want).max() < 2e-4


def test_refinement_changes_only_the_band_around_the_edge():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    alpha = np.zeros((60, 80), np.float32)
    alpha[15:45, 20:60] = 1.0
    refined = refine_alpha(image, alpha, radius=3)
    assert np.array_equal(refined[:8], alpha[:8]) and np.array_equal(refined[25:35, 30:50], alpha[25:35, 30:50])
    assert not np.array_equal(refined[12:18, 20:60], alpha[12:18, 20:60])  # the edge moved with the guide
