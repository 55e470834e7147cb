"""``load_model``: any model source as a :class:`~bgremover.inference.Segmenter` — a shipped name
(:mod:`bgremover.pretrained`), a model folder, a Hub repo id or an ``.onnx`` file."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from bgremover import settings
from bgremover.inference import Segmenter, load_segmenter
from bgremover.pretrained import PRETRAINED, pretrained_model

if TYPE_CHECKING:
    import torch


def load_model(
    source: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    working_size: int | None = None,
    backend: str | None = None,
    square: bool | None = None,
    precision: str | None = None,
    upsample: str | None = None,
) -> Segmenter:
    """A :class:`~bgremover.inference.Segmenter` for ``source``:

    - a shipped name (:func:`~bgremover.pretrained.list_pretrained`): ``None`` or ``"default"`` the
      committed model, ``"fast"``, ``"best"`` the default fused with rembg's U²-Net
      (:mod:`bgremover.fusion`, its peer's 176 MB fetched once);
    - a local ``save_pretrained`` folder, or a Hugging Face Hub repo id (cache and ``HF_HUB_OFFLINE``
      respected);
    - a path to an ``.onnx`` file (e.g. an int8 model from ``bgremover export onnx --int8``), run by
      onnxruntime unless ``backend="openvino"``.

    CUDA is used when present unless ``device`` says otherwise. ``backend="onnx"`` runs the exported
    graph with onnxruntime (CPU), ``"openvino"`` with OpenVINO (CPU), ``"auto"`` with whichever is
    faster on this CPU (:func:`~bgremover.runtimes.fastest_cpu_runtime`). ``working_size``, ``backend``
    and ``square`` default to the model's run block (:func:`~bgremover.inference.run_settings`;
    ``"fast"``: 256², ``"auto"``), so a copied folder runs as its card says. ``precision`` (default: the
    run block's): ``"int8"`` runs the folder's int8 OpenVINO file (:data:`~bgremover.constants.INT8_FILE`,
    if it has one) for its input size under the ``"openvino"`` and ``"auto"`` backends; ``"default"`` or
    ``"f32"`` run the unquantized network. ``upsample`` (default: the run block's) brings the
    network's map to the photo's size: ``"bilinear"``, or ``"guided"`` along the photo's own edges.

    Example:
        >>> from bgremover import load_model
        >>> load_model("fast").working_size
        256
    """
    options = dict(
        device=device,
        working_size=working_size,
        backend=backend,
        square=square,
        precision=precision,
        upsample=upsample,
    )
    name = str(source if source is not None else settings.model())
    if name in PRETRAINED and pretrained_model(name).fused:
        from bgremover.fusion import load_fused  # the peer's runtime is imported only for a fused tier

        return load_fused(pretrained_model(name).folder, **options)
    return load_segmenter(source, **options)


@functools.lru_cache(maxsize=4)
def _shared(source: str) -> Segmenter:
    return load_model(source)


def as_segmenter(model: Segmenter | str | os.PathLike | None) -> Segmenter:
    """``model`` itself when it is a :class:`~bgremover.inference.Segmenter`; else the model that the name,
    folder or Hub id ``model`` names (``None``: the default), loaded once and shared by later calls (the
    last four sources kept), so a loop of :func:`~bgremover.remove_background` calls loads it once.

    Example:
        >>> as_segmenter("fast") is as_segmenter("fast")
        True
        >>> model = load_model("fast")
        >>> as_segmenter(model) is model
        True
    """
    if isinstance(model, Segmenter):
        return model
    return _shared(str(model if model is not None else settings.model()))
