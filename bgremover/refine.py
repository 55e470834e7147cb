"""Edges that follow the photo: the network's low-resolution map brought to the photo's resolution
along the photo's own edges (guided upsampling), and edge refinement of an alpha with the
full-resolution image as guide. Both are the colour guided filter of He et al. (2013); the
upsampling is its fast form (He and Sun, 2015): the filter's linear coefficients are fitted at low
resolution, resized, and applied to the full-resolution image."""

from __future__ import annotations

import threading

import cv2
import numpy as np

UPSAMPLE_RADIUS = 0.01  # the window's radius, a share of the coefficient grid's long side (at least 1 px)
UPSAMPLE_EPS = 1e-4  # regularisation: smaller follows weaker edges of the photo
KEEP_BUFFER_PIXELS = 1920 * 1080  # photos up to this size reuse their thread's work buffers
_buffers = threading.local()


def guided_coefficients(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The colour guided filter's linear coefficients, averaged over each pixel's windows: H×W×4
    float32 (a for R, G, B, then b), so that the filtered value at a pixel is a · I + b for the guide's
    colour I there. ``guide`` is H×W×3 in [0, 1], ``source`` H×W; windows are (2·radius + 1)² and
    mirrored at the border.

    Example:
        >>> guide = np.full((8, 8, 3), 0.5, np.float32); source = np.full((8, 8), 0.25, np.float32)
        >>> coef = guided_coefficients(guide, source, radius=1, eps=1e-4)  # a flat photo: a = 0, b = p
        >>> bool(np.allclose(coef[..., :3], 0, atol=1e-6) and np.allclose(coef[..., 3], 0.25))
        True
    """
    guide = np.ascontiguousarray(guide, np.float32)
    source = np.ascontiguousarray(source, np.float32)
    size = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    r, g, b = cv2.split(guide)
    mr, mg, mb = cv2.split(box(guide))
    mp = box(source)
    cr, cg, cb = (box(channel * source) - mean * mp for channel, mean in ((r, mr), (g, mg), (b, mb)))
    # Σ + εU, symmetric: [[rr, rg, rb], [rg, gg, gb], [rb, gb, bb]], inverted by its cofactors
    rr = box(r * r) - mr * mr + eps
    rg = box(r * g) - mr * mg
    rb = box(r * b) - mr * mb
    gg = box(g * g) - mg * mg + eps
    gb = box(g * b) - mg * mb
    bb = box(b * b) - mb * mb + eps
    i_rr, i_rg, i_rb = gg * bb - gb * gb, rb * gb - rg * bb, rg * gb - rb * gg
    i_gg, i_gb, i_bb = rr * bb - rb * rb, rg * rb - rr * gb, rr * gg - rg * rg
    inv_det = 1.0 / (rr * i_rr + rg * i_rg + rb * i_rb)
    ar = (i_rr * cr + i_rg * cg + i_rb * cb) * inv_det
    ag = (i_rg * cr + i_gg * cg + i_gb * cb) * inv_det
    ab = (i_rb * cr + i_gb * cg + i_bb * cb) * inv_det
    offset = mp - ar * mr - ag * mg - ab * mb
    return cv2.merge([box(ar), box(ag), box(ab), box(offset)])


def _work_buffers(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A float32 and a uint8 H×W work buffer, kept per thread for photos up to
    :data:`KEEP_BUFFER_PIXELS` (the next photo of the same size reuses them): a fresh photo-size array
    costs its page faults, more than the arithmetic on it."""
    kept = getattr(_buffers, "arrays", None)
    if kept is not None and kept[0].shape == (height, width):
        return kept
    arrays = np.empty((height, width), np.float32), np.empty((height, width), np.uint8)
    _buffers.arrays = arrays if height * width <= KEEP_BUFFER_PIXELS else None
    return arrays


def apply_coefficients(coefficients: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """a · I + b at ``guide``'s resolution (H×W×3, uint8 or float in [0, 1]), the H×W×4
    ``coefficients`` of :func:`guided_coefficients` resized to it bilinearly where their size
    differs; clipped to [0, 1], float32 (a new array)."""
    height, width = guide.shape[:2]
    if guide.dtype != np.uint8:  # a float guide: the filter at its own resolution (refinement)
        a = coefficients if coefficients.shape[:2] == (height, width) else cv2.resize(coefficients, (width, height))
        out = (a[..., :3] * guide).sum(axis=-1, dtype=np.float32) + a[..., 3]
        return np.clip(out, 0.0, 1.0, out=out)
    *slopes, offset = cv2.split(np.ascontiguousarray(coefficients, np.float32))
    out = cv2.resize(offset, (width, height), interpolation=cv2.INTER_LINEAR)
    term, colour = _work_buffers(height, width)
    for channel, slope in enumerate(slopes):
        cv2.resize(slope, (width, height), dst=term, interpolation=cv2.INTER_LINEAR)
        cv2.extractChannel(guide, channel, dst=colour)
        cv2.multiply(term, colour, dst=term, scale=1.0 / 255.0, dtype=cv2.CV_32F)
        cv2.add(out, term, dst=out)
    return np.clip(out, 0.0, 1.0, out=out)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float = 1e-3) -> np.ndarray:
    """Colour guided filter (He et al., 2013) of ``source`` (H×W float) guided by RGB ``guide``.

    ``guide`` is H×W×3 in [0, 1]; the output follows the guide's edges within ``radius`` pixels.

    Example:
        >>> g = np.zeros((20, 20, 3)); g[:, 10:] = 1
        >>> s = np.zeros((20, 20)); s[:, 8:] = 1  # coarse alpha, 2 px off the true edge
        >>> out = guided_filter(g, s, radius=4, eps=1e-4)
        >>> bool(out[:, 10].min() > 0.95 and (out[:, 10] - out[:, 9]).min() > 0.4)  # jump at the guide's edge
        True
    """
    guide = np.asarray(guide, np.float32)
    return apply_coefficients(guided_coefficients(guide, source, radius, eps), guide)


def guided_upsample(
    image: np.ndarray,
    prob: np.ndarray,
    eps: float = UPSAMPLE_EPS,
    small: np.ndarray | None = None,
    grid_divisor: int = 2,
    radius_share: float = UPSAMPLE_RADIUS,
) -> np.ndarray:
    """``prob`` (a network's H×W map in [0, 1]) at the resolution of ``image`` (RGB uint8), its edges
    moved onto the photo's: the guided filter's coefficients are fitted on a grid of ``prob``'s size
    divided by ``grid_divisor``, window radius ``radius_share`` of that grid's long side (at least 1
    px), and applied to the photo
    (the fast guided filter). Where the photo is flat the map is only resized; a step that the
    network's grid cannot place to the pixel lands on the photo's edge. ``small``: the photo already
    resized to ``prob``'s size (the network's input), which saves shrinking the whole photo again.

    Example:
        >>> image = np.zeros((64, 64, 3), np.uint8); image[:, 26:] = 200  # the person starts at x = 26
        >>> prob = np.zeros((16, 16), np.float32); prob[:, 7:] = 1  # the network's map, a quarter the size
        >>> int((cv2.resize(prob, (64, 64))[32] >= 0.5).argmax())  # resized: the edge at x = 28
        28
        >>> int((guided_upsample(image, prob)[32] >= 0.5).argmax())  # guided: on the photo's edge
        26
    """
    height, width = prob.shape
    grid = (max(1, width // grid_divisor), max(1, height // grid_divisor))
    if small is None or small.shape[:2] != prob.shape:
        small = image
    guide = cv2.resize(small, grid, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    source = cv2.resize(np.asarray(prob, np.float32), grid, interpolation=cv2.INTER_AREA)
    radius = max(1, round(max(grid) * radius_share))
    return apply_coefficients(guided_coefficients(guide, source, radius, eps), image)


def refine_alpha(image: np.ndarray, alpha: np.ndarray, radius: int | None = None, eps: float = 1e-4) -> np.ndarray:
    """Refine ``alpha`` only in the uncertain band around its edge with a guided filter.

    Confident pixels (far from the 0.5 contour) keep their value, so the mask's interior and
    far background cannot change class: IoU is protected while hair and edges get soft alpha.
    ``radius`` defaults to ~1/100 of the long side (at least 2 px).
    """
    radius = radius or max(2, round(max(alpha.shape) / 100))
    guide = image.astype(np.float32) / 255.0
    refined = guided_filter(guide, alpha, radius, eps)
    hard = (alpha >= 0.5).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    band = cv2.dilate(hard, kernel) != cv2.erode(hard, kernel)
    return np.where(band, refined, alpha).astype(np.float32)
