"""One camera for a composite: the pasted person and the background photo look taken together.

A person cut from a full-body photo and pasted large onto a room photo gives itself away by
sharpness (an upscaled crop on a sharp background), colour (another light) and focus (a room
behind a close subject is rarely sharp through a webcam or a portrait lens). These functions
undo those tells; the camera's own degradations (resampling, noise, JPEG) are applied to the
whole composite afterwards by the training pipeline, so person and background share them.
"""

from __future__ import annotations

import cv2
import numpy as np

from bgremover.imageops import alpha_to_uint8


def disk_blur(image: np.ndarray, radius: float) -> np.ndarray:
    """Defocus ``image`` (H×W×C uint8) with a lens-like disk kernel of ``radius`` pixels.

    Example:
        >>> image = np.zeros((21, 21, 3), np.uint8); image[10, 10] = 255
        >>> out = disk_blur(image, 3.0)
        >>> int(out[10, 10, 0]) < 255, int(out[10, 13, 0]) > 0, int(out[10, 15, 0])
        (True, True, 0)
    """
    if radius < 0.5:
        return image
    size = 2 * int(np.ceil(radius)) + 1
    yy, xx = np.mgrid[:size, :size] - size // 2
    kernel = (xx**2 + yy**2 <= radius**2).astype(np.float32)
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def harmonize(person: np.ndarray, alpha: np.ndarray, reference: np.ndarray, strength: float) -> np.ndarray:
    """Move the person's colour statistics towards the background's by ``strength`` in [0, 1].

    Per-channel mean and standard deviation in CIE Lab (Reinhard's colour transfer), measured
    over the person's pixels (``alpha`` ≥ 0.5) and over ``reference`` (the background), so a
    person shot in daylight takes on some of a warm, dim room's light. ``strength=0`` returns
    the input unchanged.

    Example:
        >>> person = np.full((4, 4, 3), (200, 60, 60), np.uint8); alpha = np.ones((4, 4), np.float32)
        >>> room = np.full((8, 8, 3), (60, 60, 200), np.uint8)
        >>> harmonize(person, alpha, room, 0.0)[0, 0].tolist(), harmonize(person, alpha, room, 1.0)[0, 0].tolist()
        ([200, 60, 60], [60, 60, 200])
    """
    inside = alpha >= 0.5
    if strength <= 0 or not inside.any():
        return person
    lab = cv2.cvtColor(person.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ref = cv2.cvtColor(reference.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB).reshape(-1, 3)
    mean, std = lab[inside].mean(0), lab[inside].std(0) + 1e-3
    target_mean, target_std = ref.mean(0), ref.std(0) + 1e-3
    new_mean = mean + strength * (target_mean - mean)
    new_std = std * (target_std / std) ** strength
    moved = (lab - mean) / std * new_std + new_mean
    rgb = cv2.cvtColor(moved.astype(np.float32), cv2.COLOR_LAB2RGB)
    return alpha_to_uint8(rgb)
