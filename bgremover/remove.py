"""``remove_background``: one photo in, its cut-out (or the person on a new background) out."""

from __future__ import annotations

import os

from PIL import Image

from bgremover.compose import Background, compose, hard_mask
from bgremover.constants import DEFAULT_SUBJECT
from bgremover.inference import Segmenter
from bgremover.io import ImageSource, read_image
from bgremover.models import as_segmenter
from bgremover.options import CutOptions


def remove_background(
    image: ImageSource,
    background: Background = "transparent",
    model: Segmenter | str | os.PathLike | None = None,
    tta: bool = False,
    scales: tuple[float, ...] | None = None,
    refine: bool = False,
    threshold: float | None = None,
    foreground_estimation: bool = False,
    subject: str = DEFAULT_SUBJECT,
    upsample: str | None = None,
) -> Image.Image:
    """Cut the person out of ``image``: RGBA for ``"transparent"``, else RGB on the new background.

    ``scales`` (``None``: the model's own, :meth:`~bgremover.inference.Segmenter.predict`).
    ``threshold`` turns the soft alpha into a hard mask (``None`` or 0: the soft alpha). ``model``: a
    loaded model, or a name, folder or Hub id (``"fast"``, ``"best"``; default: the committed model),
    loaded once and reused by later calls (:func:`~bgremover.models.as_segmenter`).
    ``subject="main"`` keeps only the main subject(s), ``"all"`` every person. ``upsample``:
    ``"bilinear"`` or ``"guided"`` (``None``: the model's own).

    Example:
        >>> from bgremover import remove_background
        >>> cutout = remove_background("photo.jpg")  # doctest: +SKIP
        >>> cutout.mode  # doctest: +SKIP
        'RGBA'
    """
    checked = CutOptions(threshold=threshold, subject=subject, upsample=upsample)  # checked as everywhere
    segmenter = as_segmenter(model)
    rgb = read_image(image, segmenter.max_pixels)
    alpha = segmenter.predict(rgb, tta=tta, scales=scales, refine=refine, subject=subject, upsample=checked.upsample)
    if checked.threshold is not None:
        alpha = hard_mask(alpha, checked.threshold)
    return compose(rgb, alpha, background, foreground_estimation)
