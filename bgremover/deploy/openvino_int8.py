"""int8 OpenVINO models: NNCF post-training quantization at a fixed, square input size.

The height and width are fixed because timm's "same" padding computes its pad amounts from the
input's shape: with them left dynamic, OpenVINO's int8 model answered all background (IoU 0 against
fp32 on real photos, OpenVINO 2026.4 / NNCF 3.4), and fixing them folds the amounts into constants.
The batch size stays dynamic. A model whose run block is square (the fast tier: every photo
squashed to 256²) always feeds that size; other sizes (multi-scale TTA, a caller's working size)
run unquantized (:class:`bgremover.runtimes.FixedSizeNetwork`).

Calibration images are training photos, never benchmark photos.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bgremover.errors import UsageError
from bgremover.imageops import resize_for_network

PRESETS = ("performance", "mixed")  # NNCF's: symmetric activations, or asymmetric ones (slower, closer)


def calibration_batch(rgb: np.ndarray, size: int) -> np.ndarray:
    """``rgb`` as the network sees it in a square run: squashed to ``size``², (1, 3, size, size) in [0, 1].

    Example:
        >>> calibration_batch(np.zeros((825, 550, 3), np.uint8), 256).shape
        (1, 3, 256, 256)
    """
    small = resize_for_network(rgb, size, square=True)
    return np.ascontiguousarray(small.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def quantize_openvino(
    source: str | os.PathLike | None,
    path: str | os.PathLike,
    calibration_images: Iterable[np.ndarray],
    size: int,
    preset: str = "performance",
    fast_bias_correction: bool = True,
) -> Path:
    """Write ``source``'s network as an int8 OpenVINO model (``path``: ``.xml``, its ``.bin`` beside it)
    for ``size``² inputs, calibrated on ``calibration_images`` (RGB uint8, any size).

    Needs ``nncf`` (``pip install nncf``); running the result needs only ``openvino``.

    Example:
        >>> quantize_openvino("fast", "model/openvino_int8.xml", photos, 256)  # doctest: +SKIP
    """
    import nncf
    import openvino as ov

    from bgremover.runtimes import onnx_file  # exports a model folder (torch) when no .onnx is given

    if preset not in PRESETS:
        raise UsageError(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    path = Path(path)
    if path.suffix != ".xml":
        raise UsageError(f"an OpenVINO model is written as a .xml file (its weights beside it in .bin), got {path}")
    batches = [calibration_batch(rgb, size) for rgb in calibration_images]
    if not batches:
        raise UsageError("quantization needs at least one calibration image")
    model = ov.Core().read_model(str(source) if str(source).endswith(".onnx") else str(onnx_file(source)))
    model.reshape([-1, 3, size, size])
    quantized = nncf.quantize(
        model,
        nncf.Dataset(batches),
        preset=nncf.QuantizationPreset(preset),
        subset_size=len(batches),
        fast_bias_correction=fast_bias_correction,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(path))
    return path
