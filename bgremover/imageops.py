"""Image operations on numpy arrays (OpenCV): the sizes a network sees. No torch."""

from __future__ import annotations

import cv2
import numpy as np

from bgremover.constants import FLIP_SIDE_SHARE


def network_size(height: int, width: int, long_side: int, square: bool = False) -> tuple[int, int]:
    """(width, height) the network sees for a ``height``×``width`` image: ``long_side`` on the long
    side, or ``long_side``² whatever the aspect when ``square``.

    Example:
        >>> network_size(825, 550, 512), network_size(825, 550, 256, square=True)
        ((341, 512), (256, 256))
    """
    if square:
        return long_side, long_side
    scale = long_side / max(height, width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_for_network(image: np.ndarray, long_side: int, square: bool = False) -> np.ndarray:
    """``image`` resized to :func:`network_size` (area interpolation when shrinking, bilinear when
    enlarging)."""
    height, width = image.shape[:2]
    shrink = long_side < max(height, width)
    size = network_size(height, width, long_side, square)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def merge_flip(
    plain: np.ndarray, mirrored: np.ndarray, shift: float = 0.0, side_share: float = FLIP_SIDE_SHARE
) -> np.ndarray:
    """Flip TTA's map from the plain pass and the mirrored pass (already mirrored back, then moved
    ``shift`` pixels right: :func:`shift_columns`), both (..., H, W) probabilities: their mean, moved
    towards their max in the outer ``side_share`` of columns on each side (all the way at the frame's
    edge, linearly less to none at the band's inner edge, so no seam), so a person cut by the frame's
    side edge that one pass finds and the other misses is kept rather than averaged below 0.5
    (docs/experiments/2026-12-flip-tta.md).

    Example:
        >>> plain, mirrored = np.zeros((1, 40), np.float32), np.zeros((1, 40), np.float32)
        >>> plain[0, [0, 20]] = 0.9  # one pass sees a sliver at the left edge, and something in the middle
        >>> plain[0, 1] = 0.9  # the sliver's next column: the max weighs 0.5 there (a band of 2 columns)
        >>> [round(float(x), 3) for x in merge_flip(plain, mirrored)[0, [0, 1, 20]]]
        [0.9, 0.675, 0.45]
    """
    mirrored = shift_columns(mirrored, shift)
    merged = (plain + mirrored) / 2
    width = plain.shape[-1]
    band = min(width // 2, max(1, round(width * side_share)))
    weight = np.linspace(1.0, 0.0, band + 1, dtype=np.float32)[:band]  # 1 at the frame's edge, 0 past the band
    for columns, ramp in ((slice(0, band), weight), (slice(width - band, width), weight[::-1])):
        most = np.maximum(plain[..., columns], mirrored[..., columns])
        merged[..., columns] += ramp * (most - merged[..., columns])
    return merged


def shift_columns(maps: np.ndarray, dx: float) -> np.ndarray:
    """(..., H, W) float32 ``maps`` moved ``dx`` pixels to the right (bilinear; the edge columns
    repeated where the move uncovers them); ``maps`` themselves when ``dx`` is 0.

    Example:
        >>> row = np.float32([[0, 0, 1, 1]])
        >>> shift_columns(row, 0.5).tolist(), shift_columns(row, -1.0).tolist()
        ([[0.0, 0.0, 0.5, 1.0]], [[0.0, 1.0, 1.0, 1.0]])
    """
    if not dx:
        return maps
    height, width = maps.shape[-2:]
    flat = np.ascontiguousarray(maps, np.float32).reshape(-1, height, width)
    matrix = np.float32([[1, 0, dx], [0, 1, 0]])
    moved = [
        cv2.warpAffine(m, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        for m in flat
    ]
    return np.stack(moved).reshape(maps.shape)


def letterbox(image: np.ndarray) -> tuple[np.ndarray, int, int]:
    """``image`` centred on a black square as wide as its long side: (square, top, left), where
    ``top`` and ``left`` are the image's offset in the square (how MediaPipe's models see a photo).

    Example:
        >>> square, top, left = letterbox(np.ones((2, 4, 3), np.uint8))
        >>> square.shape, top, left, int(square.sum())
        ((4, 4, 3), 1, 0, 24)
    """
    height, width = image.shape[:2]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    square = np.zeros((side, side, *image.shape[2:]), image.dtype)
    square[top : top + height, left : left + width] = image
    return square, top, left


def alpha_to_uint8(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (alpha, an image in float) → uint8, rounded to nearest and clipped.

    Example:
        >>> alpha_to_uint8(np.array([-0.1, 0.0, 0.5, 0.999, 1.2])).tolist()
        [0, 0, 128, 255, 255]
    """
    return np.clip(np.asarray(values, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
