"""Where pretrained files come from: the normal online source, or a local weights directory.

A user with internet gets every pretrained file from its canonical source (HF Hub via timm,
torchvision). Machines without internet point ``BGREMOVER_WEIGHTS_DIR`` (or an explicit
``weights_dir`` argument) at a folder laid out like ``../shared/weights``::

    encoders/<timm_name>.<tag>.safetensors
    perceptual/vgg16_features_relu4_3.in1k.safetensors
    perceptual/alexnet_features.in1k.safetensors
    peers/u2netp.onnx, peers/mediapipe_selfie_segmentation.tflite

Example:
    >>> from bgremover.weights import local_weight_file
    >>> local_weight_file("encoders", "no_such_model.*.safetensors", weights_dir="/nonexistent") is None
    True
"""

from __future__ import annotations

import os
from pathlib import Path

from safetensors.torch import load_file

from bgremover import settings
from bgremover.errors import WeightsUnavailableError


def resolve_weights_dir(override: str | os.PathLike | None = None) -> Path | None:
    """The local weights directory: ``override``, else ``$BGREMOVER_WEIGHTS_DIR``, else ``None``."""
    value = override if override is not None else settings.weights_dir()
    return Path(value) if value else None


def local_weight_file(subdir: str, pattern: str, weights_dir: str | os.PathLike | None = None) -> Path | None:
    """First file matching ``pattern`` in ``<weights dir>/<subdir>``, or ``None``."""
    root = resolve_weights_dir(weights_dir)
    if root is None or not (root / subdir).is_dir():
        return None
    matches = sorted((root / subdir).glob(pattern))
    return matches[0] if matches else None


def load_state_dict(path: str | os.PathLike) -> dict:
    """Load tensors from a safetensors file, or a ``.pt/.pth`` file with ``weights_only=True``.

    Never unpickles arbitrary objects.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise WeightsUnavailableError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)
