"""``Segmenter``: full-resolution alpha from any image, with test-time augmentation and refinement."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import nn

from bgremover.hub import load_network
from bgremover.io import DEFAULT_MAX_PIXELS, ImageSource, read_image
from bgremover.refine import refine_alpha

WORKING_SIZE = 512


class Segmenter:
    """Runs a person-segmentation network on images of any size.

    The network sees the image with its long side at ``working_size`` × scale; the probability
    map is averaged over the test-time augmentations and upsampled to the input's resolution.

    Example:
        >>> from bgremover import load_model
        >>> seg = load_model()  # doctest: +SKIP
        >>> alpha = seg.predict("photo.jpg", tta=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        network: nn.Module,
        device: str | torch.device | None = None,
        working_size: int = WORKING_SIZE,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.network = network.eval().to(self.device)
        self.working_size = working_size
        self.max_pixels = max_pixels

    def _probabilities(self, images: list[np.ndarray], flip: bool) -> list[np.ndarray]:
        """Network probabilities for same-size RGB uint8 images, optionally flip-averaged."""
        batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div_(255.0).to(self.device)
        with torch.inference_mode():
            prob = torch.sigmoid(self.network(batch).float())
            if flip:
                prob = (prob + torch.sigmoid(self.network(batch.flip(-1)).float()).flip(-1)) / 2
        return list(prob[:, 0].cpu().numpy())

    def _resize_long_side(self, image: np.ndarray, long_side: int) -> np.ndarray:
        height, width = image.shape[:2]
        scale = long_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        return cv2.resize(image, size, interpolation=interpolation)

    def predict(
        self,
        image: ImageSource | Sequence[ImageSource],
        tta: bool = False,
        scales: Sequence[float] = (1.0,),
        refine: bool = False,
    ) -> np.ndarray | list[np.ndarray]:
        """Float32 alpha (H×W in [0, 1]) at the input's resolution; a list in gives a list out.

        ``tta``: average with the horizontally flipped image. ``scales``: working sizes as
        multiples of ``working_size`` (e.g. ``(0.75, 1.0, 1.25)``), averaged. ``refine``: guided
        filter on the edge band, guided by the full-resolution image.
        """
        if isinstance(image, list | tuple):
            rgbs = [read_image(item, self.max_pixels) for item in image]
        else:
            rgbs = [read_image(image, self.max_pixels)]
        alphas = self._predict_arrays(rgbs, tta, scales, refine)
        return alphas if isinstance(image, list | tuple) else alphas[0]

    def _predict_arrays(
        self, rgbs: list[np.ndarray], tta: bool, scales: Sequence[float], refine: bool
    ) -> list[np.ndarray]:
        if not scales:
            raise ValueError("scales must name at least one scale")
        base = [self._resize_long_side(rgb, self.working_size) for rgb in rgbs]
        sums = [np.zeros(b.shape[:2], np.float32) for b in base]
        for scale in scales:
            scaled = [self._resize_long_side(rgb, round(self.working_size * scale)) for rgb in rgbs]
            groups: dict[tuple[int, ...], list[int]] = {}
            for i, img in enumerate(scaled):
                groups.setdefault(img.shape, []).append(i)
            for indices in groups.values():
                probs = self._probabilities([scaled[i] for i in indices], tta)
                for i, prob in zip(indices, probs, strict=True):
                    sums[i] += cv2.resize(prob, base[i].shape[1::-1], interpolation=cv2.INTER_LINEAR)
        alphas = []
        for rgb, total in zip(rgbs, sums, strict=True):
            alpha = cv2.resize(total / len(scales), rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR)
            alpha = np.clip(alpha, 0.0, 1.0)
            alphas.append(refine_alpha(rgb, alpha) if refine else alpha.astype(np.float32))
        return alphas


def load_model(
    source: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    working_size: int = WORKING_SIZE,
) -> Segmenter:
    """A :class:`Segmenter` for ``source``: ``None``/"default" (the committed model), "fast",
    a local ``save_pretrained`` folder, or a Hugging Face Hub repo id (cache and
    ``HF_HUB_OFFLINE`` respected). CUDA is used when present unless ``device`` says otherwise.
    """
    return Segmenter(load_network(source), device=device, working_size=working_size)
