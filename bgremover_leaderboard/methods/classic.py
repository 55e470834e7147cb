"""Classical baselines: GrabCut and marker-based watershed (OpenCV)."""

from __future__ import annotations

import cv2
import numpy as np

from bgremover.imageops import resize_for_network
from bgremover_leaderboard.methods.base import Method

LONG_SIDE = 512


def back_to(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


class GrabCut(Method):
    """OpenCV GrabCut from a rectangle inset 5 % from each border, 5 iterations, long side 512."""

    name = "grabcut"
    resolution = "long side 512"

    def __init__(self, inset: float = 0.05, iterations: int = 5):
        self.inset, self.iterations = inset, iterations

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        small = resize_for_network(rgb, LONG_SIDE)
        height, width = small.shape[:2]
        rect = (
            round(width * self.inset),
            round(height * self.inset),
            round(width * (1 - 2 * self.inset)),
            round(height * (1 - 2 * self.inset)),
        )
        mask = np.zeros((height, width), np.uint8)
        cv2.setRNGSeed(0)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(
            cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, rect, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_RECT
        )
        fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
        return back_to(fg, rgb.shape)


class Watershed(Method):
    """Marker watershed on the gradient magnitude: a 5 % border band is background, the central
    third of the frame is foreground; long side 512."""

    name = "watershed"
    resolution = "long side 512"

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        small = resize_for_network(rgb, LONG_SIDE)
        height, width = small.shape[:2]
        gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
        gradient = cv2.magnitude(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
        gradient = cv2.normalize(gradient, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
        markers = np.zeros((height, width), np.int32)
        band_y, band_x = max(1, round(height * 0.05)), max(1, round(width * 0.05))
        markers[:band_y], markers[-band_y:], markers[:, :band_x], markers[:, -band_x:] = 1, 1, 1, 1
        markers[height // 3 : 2 * height // 3, width // 3 : 2 * width // 3] = 2
        cv2.watershed(cv2.cvtColor(gradient, cv2.COLOR_GRAY2BGR), markers)
        return back_to((markers == 2).astype(np.float32), rgb.shape)
