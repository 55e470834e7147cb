"""Steadier alpha across video frames: motion-aware temporal smoothing.

Where the picture did not change between two frames, the new alpha is blended with the previous
(smoothed) alpha, which removes flicker on still regions; where the picture changed (the person
moved, the camera panned, a cut), the blend weight falls to zero, so moving edges are not smeared.

Example:
    >>> import numpy as np
    >>> still = np.zeros((8, 8, 3), np.uint8)
    >>> smoother = TemporalSmoother(strength=0.5)
    >>> float(smoother(still, np.zeros((8, 8), np.float32)).mean())
    0.0
    >>> float(smoother(still, np.ones((8, 8), np.float32)).mean())  # unchanged picture: half the jump
    0.5
"""

from __future__ import annotations

import cv2
import numpy as np

from bgremover.errors import UsageError

DEFAULT_STRENGTH = 0.8  # weight of the previous alpha where the picture is still
DEFAULT_MOTION_SCALE = 0.1  # grey-level change (0–1) at which that weight has fallen to 1/e
ANALYSIS_SIDE = 160  # motion is measured on frames shrunk to this long side


def _check_alpha(name: str, alpha: np.ndarray) -> None:
    if alpha.ndim != 2:
        raise UsageError(f"{name} must be an H×W alpha map, got shape {alpha.shape}")


def smooth_alpha(
    alpha: np.ndarray,
    previous: np.ndarray,
    motion: np.ndarray,
    strength: float = DEFAULT_STRENGTH,
    motion_scale: float = DEFAULT_MOTION_SCALE,
) -> np.ndarray:
    """``alpha`` blended with ``previous`` by ``strength · exp(−motion / motion_scale)`` per pixel.

    ``motion`` is the per-pixel picture change in [0, 1] (H×W, same size as the alphas).

    Example:
        >>> import numpy as np
        >>> a, prev = np.ones((1, 2), np.float32), np.zeros((1, 2), np.float32)
        >>> smooth_alpha(a, prev, np.array([[0.0, 1.0]], np.float32), strength=0.5).round(3).tolist()
        [[0.5, 1.0]]
    """
    _check_alpha("alpha", alpha)
    if previous.shape != alpha.shape or motion.shape != alpha.shape:
        raise UsageError(
            f"alpha {alpha.shape}, previous {previous.shape} and motion {motion.shape} must have one shape"
        )
    if not 0.0 <= strength < 1.0:
        raise UsageError(f"strength must be in [0, 1), got {strength}")
    keep = strength * np.exp(-motion / motion_scale)
    return (keep * previous + (1.0 - keep) * alpha).astype(np.float32)


def picture_change(previous_grey: np.ndarray, grey: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Per-pixel change in [0, 1] between two small grey frames, blurred and resized to ``size`` (W, H)."""
    change = cv2.GaussianBlur(cv2.absdiff(previous_grey, grey), (0, 0), 1.5)
    change = cv2.dilate(change, np.ones((3, 3), np.uint8))  # moving edges: keep the band around them free
    return cv2.resize(change, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0


def analysis_grey(rgb: np.ndarray) -> np.ndarray:
    """The frame as a small uint8 grey image for motion measurement."""
    height, width = rgb.shape[:2]
    scale = min(1.0, ANALYSIS_SIDE / max(height, width))
    small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)


class TemporalSmoother:
    """Stateful :func:`smooth_alpha` over a stream of (frame, alpha) pairs; :meth:`reset` between clips."""

    def __init__(self, strength: float = DEFAULT_STRENGTH, motion_scale: float = DEFAULT_MOTION_SCALE):
        if not 0.0 <= strength < 1.0:
            raise UsageError(f"strength must be in [0, 1), got {strength}")
        self.strength = strength
        self.motion_scale = motion_scale
        self.reset()

    def reset(self) -> None:
        self.previous_alpha: np.ndarray | None = None
        self.previous_grey: np.ndarray | None = None

    def __call__(self, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        _check_alpha("alpha", alpha)
        if rgb.shape[:2] != alpha.shape:
            raise UsageError(f"frame {rgb.shape[:2]} and alpha {alpha.shape} must have one size")
        grey = analysis_grey(rgb)
        if self.previous_alpha is None or self.previous_alpha.shape != alpha.shape:
            smoothed = alpha.astype(np.float32)
        else:
            motion = picture_change(self.previous_grey, grey, alpha.shape[::-1])
            smoothed = smooth_alpha(alpha, self.previous_alpha, motion, self.strength, self.motion_scale)
        self.previous_alpha, self.previous_grey = smoothed, grey
        return smoothed
