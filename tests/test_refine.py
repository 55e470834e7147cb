"""The guided filter against an independent implementation of He et al. (2013), written from the paper:
explicit windows per pixel, a 3×3 solve per pixel, NumPy only; guided upsampling against the fast
guided filter of He and Sun (2015) built on that reference."""

from __future__ import annotations

import numpy as np
import pytest

from bgremover.refine import UPSAMPLE_EPS, apply_coefficients, guided_filter, guided_upsample, refine_alpha


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


def reference_coefficients(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The mean linear coefficients (ā for R, G, B, then b̄) of :func:`reference_guided_filter`'s windows
    at every pixel, by the same explicit per-pixel formula: q = ā · I + b̄."""
    # the averaged coefficients applied to a black image give b̄, to one colour plane of ones ā_c + b̄
    offset = apply_reference(guide, source, radius, eps, np.zeros_like(guide))
    slopes = []
    for c in range(3):
        probe = np.zeros_like(guide)
        probe[..., c] = 1.0
        slopes.append(apply_reference(guide, source, radius, eps, probe) - offset)
    return np.dstack([*slopes, offset])


def apply_reference(guide, source, radius, eps, probe):
    """Like :func:`reference_guided_filter` but the averaged coefficients are applied to ``probe``
    instead of ``guide`` (and not clipped)."""
    height, width = source.shape
    pad = radius
    g = np.pad(guide.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)), mode="symmetric")
    p = np.pad(source.astype(np.float64), pad, mode="symmetric")
    a = np.zeros((height, width, 3))
    b = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            window_g = g[y : y + 2 * pad + 1, x : x + 2 * pad + 1].reshape(-1, 3)
            window_p = p[y : y + 2 * pad + 1, x : x + 2 * pad + 1].reshape(-1)
            mu, mean_p = window_g.mean(0), window_p.mean()
            sigma = (window_g - mu).T @ (window_g - mu) / len(window_p)
            cov = (window_g * window_p[:, None]).mean(0) - mu * mean_p
            a[y, x] = np.linalg.solve(sigma + eps * np.eye(3), cov)
            b[y, x] = mean_p - a[y, x] @ mu
    a = np.pad(a, ((pad, pad), (pad, pad), (0, 0)), mode="symmetric")
    b = np.pad(b, pad, mode="symmetric")
    out = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            ys, xs = slice(y, y + 2 * pad + 1), slice(x, x + 2 * pad + 1)
            out[y, x] = a[ys, xs].reshape(-1, 3).mean(0) @ probe[y, x] + b[ys, xs].mean()
    return out


def test_guided_upsampling_is_the_fast_guided_filter_of_the_paper():
    """He and Sun (2015): the coefficients fitted on the shrunken guide and map, resized bilinearly to
    the photo, applied to the full-resolution photo."""
    import cv2

    rng = np.random.default_rng(3)
    photo = rng.integers(0, 80, (48, 40, 3)).astype(np.uint8)
    photo[:, 17:] += 150  # the person's edge at x = 17
    prob = np.zeros((24, 20), np.float32)
    prob[:, 9:] = 1.0  # the network's map puts it at x = 18
    grid = (10, 12)  # half the map's size
    guide = cv2.resize(photo, grid, interpolation=cv2.INTER_AREA).astype(np.float64) / 255.0
    source = cv2.resize(prob, grid, interpolation=cv2.INTER_AREA).astype(np.float64)
    means = reference_coefficients(guide, source, radius=1, eps=UPSAMPLE_EPS)
    up = cv2.resize(means.astype(np.float32), (40, 48), interpolation=cv2.INTER_LINEAR)
    want = np.clip((up[..., :3] * (photo / 255.0)).sum(-1) + up[..., 3], 0, 1)
    got = guided_upsample(photo, prob)
    assert np.abs(got - want).max() < 5e-4  # float32 against float64, a 3×3 solve with ε = 1e-4
    assert (got[:, :17] < 0.5).all() and (got[:, 17:] >= 0.5).all()  # on the photo's edge, not the map's


def test_guided_upsampling_answers_are_new_arrays_and_threads_do_not_share_buffers():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(4)
    photos = [rng.integers(0, 256, (90, 70, 3), dtype=np.uint8) for _ in range(6)]
    prob = np.zeros((32, 24), np.float32)
    prob[8:24, 6:18] = 1.0
    alone = [guided_upsample(photo, prob) for photo in photos]
    kept = [alpha.copy() for alpha in alone]
    assert all(np.array_equal(a, b) for a, b in zip(alone, kept, strict=True))  # a later call left them alone
    assert not np.array_equal(alone[0], alone[1])
    with ThreadPoolExecutor(3) as pool:
        for _ in range(5):
            together = list(pool.map(lambda photo: guided_upsample(photo, prob), photos))
            assert all(np.array_equal(a, b) for a, b in zip(together, kept, strict=True))


def test_uint8_and_float_guides_give_the_same_filter():
    rng = np.random.default_rng(5)
    photo = rng.integers(0, 256, (30, 26, 3), dtype=np.uint8)
    coefficients = rng.normal(0, 0.5, (15, 13, 4)).astype(np.float32)
    np.testing.assert_allclose(
        apply_coefficients(coefficients, photo), apply_coefficients(coefficients, photo / 255.0), atol=1e-5
    )


@pytest.mark.parametrize("photo_shape", [(1, 1), (2, 3), (5, 1), (300, 120)])
@pytest.mark.parametrize("map_shape", [(256, 256), (1, 1), (3, 1)])
def test_guided_upsampling_answers_any_sizes_in_range(photo_shape, map_shape):
    rng = np.random.default_rng(6)
    photo = rng.integers(0, 256, (*photo_shape, 3), dtype=np.uint8)
    alpha = guided_upsample(photo, rng.random(map_shape).astype(np.float32))
    assert alpha.shape == photo_shape and alpha.dtype == np.float32
    assert np.isfinite(alpha).all() and alpha.min() >= 0 and alpha.max() <= 1


@pytest.mark.parametrize("grey", [0, 128, 255])
def test_on_a_flat_photo_guided_upsampling_is_the_resized_map(grey):
    import cv2

    prob = np.zeros((64, 64), np.float32)
    prob[16:48, 16:48] = 1.0
    photo = np.full((200, 160, 3), grey, np.uint8)  # no edge to follow: nothing moves
    resized = cv2.resize(prob, (160, 200), interpolation=cv2.INTER_LINEAR) >= 0.5
    got = guided_upsample(photo, prob) >= 0.5
    assert (got & resized).sum() / (got | resized).sum() > 0.97
