"""Main subject or everyone: drop the people a photo is not about (bystanders, an audience).

The network marks every person. ``main_subjects`` keeps the connected regions of the mask that
are large next to the largest one and sets the rest of the alpha to zero, so a dancer stays and
the crowd watching from the back does not; people of similar size (a couple, a group photo) all
stay.
"""

from __future__ import annotations

import cv2
import numpy as np

from bgremover.constants import SUBJECTS
from bgremover.errors import UsageError

MAIN_SHARE = 0.25  # a region is a main subject when its area is at least this share of the largest's


def main_subjects(
    alpha: np.ndarray, min_share: float = MAIN_SHARE, threshold: float = 0.5, low: float | None = None
) -> np.ndarray:
    """``alpha`` (H×W in [0, 1]) with only the main subject(s) kept.

    Regions are the 8-connected components of ``alpha ≥ threshold``; those with at least
    ``min_share`` of the largest region's area are kept, with the soft edge around them (a band
    of about 1 % of the image diagonal). An empty mask is returned unchanged. ``low`` (at most
    ``threshold``) links regions by hysteresis, as Canny links edges: regions are then the
    components of ``alpha ≥ low``, each sized by its pixels at ``alpha ≥ threshold``, so a raised
    arm joined to the body only by faint alpha counts as part of it.

    Example:
        >>> alpha = np.zeros((100, 100), np.float32)
        >>> alpha[10:90, 10:50] = 1.0  # the subject
        >>> alpha[80:90, 80:85] = 0.9  # someone far behind
        >>> kept = main_subjects(alpha)
        >>> float(kept[50, 30]), float(kept[85, 82])
        (1.0, 0.0)
        >>> alpha[5:10, 20:25] = 0.9  # a hand above the head, joined only by faint alpha
        >>> alpha[10, 18:27] = 0.3
        >>> bool(main_subjects(alpha)[7, 22] == 0), bool(main_subjects(alpha, low=0.2)[7, 22] == alpha[7, 22])
        (True, True)
    """
    if alpha.ndim != 2:
        raise UsageError(f"alpha must be H×W, got shape {alpha.shape}")
    if not 0 < min_share <= 1:
        raise UsageError(f"min_share must be in (0, 1], got {min_share}")
    if low is not None and not 0 < low <= threshold:
        raise UsageError(f"low must be in (0, threshold={threshold}], got {low}")
    count, labels = cv2.connectedComponents(
        (alpha >= (threshold if low is None else low)).astype(np.uint8), connectivity=8
    )
    if count <= 2:  # nothing, or one region
        return alpha
    areas = np.bincount(labels[alpha >= threshold], minlength=count)
    areas[0] = 0  # the background
    if areas.max() == 0:  # nothing at the threshold
        return alpha
    keep = np.flatnonzero(areas >= min_share * areas.max())
    kept = np.isin(labels, keep).astype(np.uint8)
    radius = max(2, round(0.01 * np.hypot(*alpha.shape)))
    band = cv2.dilate(kept, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)))
    return (alpha * band).astype(alpha.dtype)


def select_subjects(alpha: np.ndarray, subject: str) -> np.ndarray:
    """``"all"``: ``alpha`` as it is; ``"main"``: :func:`main_subjects`."""
    if subject not in SUBJECTS:
        raise UsageError(f"subject must be one of {', '.join(SUBJECTS)}, got {subject!r}")
    return main_subjects(alpha) if subject == "main" else alpha
