"""How a benchmark photo frames its people, read from the ground-truth mask.

One label per photo, checked in this order:

- ``group``: two or more separate people, each at least a quarter the size of the largest;
- ``small``: the person is less than a third of the frame tall;
- ``close-up``: cut by the bottom edge and filling the frame (a third of its area, or half its
  width): head and shoulders, as in webcam and video-call frames and selfies;
- ``half-body``: cut by the bottom edge otherwise (portraits, head-and-torso shots);
- ``full-body``: the rest.
"""

from __future__ import annotations

import cv2
import numpy as np

FRAMINGS = ("close-up", "half-body", "full-body", "small", "group")


def framing(mask: np.ndarray) -> str:
    """The framing label of a ground-truth mask (H×W, person ≥ 0.5).

    Example:
        >>> m = np.zeros((100, 100), np.float32); m[40:100, 10:90] = 1
        >>> framing(m)
        'close-up'
        >>> m[:] = 0; m[5:95, 40:60] = 1
        >>> framing(m)
        'full-body'
        >>> m[:] = 0; m[70:90, 10:15] = 1; m[70:90, 60:65] = 1
        >>> framing(m)
        'group'
    """
    binary = (mask >= 0.5).astype(np.uint8)
    height, width = binary.shape
    if not binary.any():
        return "small"
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if (areas >= 0.25 * areas.max()).sum() >= 2:
        return "group"
    rows = np.flatnonzero(binary.any(1))
    cols = np.flatnonzero(binary.any(0))
    box_height = (rows[-1] - rows[0] + 1) / height
    box_width = (cols[-1] - cols[0] + 1) / width
    if box_height < 1 / 3:
        return "small"
    if rows[-1] >= height - max(2, height // 50):
        return "close-up" if binary.mean() >= 1 / 3 or box_width >= 0.5 else "half-body"
    return "full-body"
