"""bgremover: person background removal with an Attention U-Net.

``import bgremover`` is cheap: the names below load their modules (and torch) on first use.

Example:
    >>> import bgremover
    >>> bgremover.list_models()
    ['attention_unet', 'deeplabv3plus', 'unet']
    >>> bgremover.list_pretrained()
    ['best', 'default', 'fast', 'fast-plus']
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _metadata_version

from bgremover.errors import (
    BadBackgroundError,
    BadImageError,
    BadVideoError,
    BgremoverError,
    MissingExtraError,
    ModelNotFoundError,
    WeightsUnavailableError,
)

_LAZY = {
    "ARCHITECTURES": "bgremover.factory",
    "create_model": "bgremover.factory",
    "Segmenter": "bgremover.inference",
    "load_model": "bgremover.models",
    "list_models": "bgremover.factory",
    "list_encoders": "bgremover.encoders",
    "list_pretrained": "bgremover.pretrained",
    "compose": "bgremover.compose",
    "remove_background": "bgremover.remove",
    "read_image": "bgremover.io",
    "probe_video": "bgremover.video_io",
    "read_frames": "bgremover.video_io",
    "remove_background_video": "bgremover.video",
    "write_video": "bgremover.video_io",
    "cut_with_ray": "bgremover.ray_cut",  # needs the [ray] extra; Ray itself is imported on the first call
}

__all__ = [
    "ARCHITECTURES",
    "BadBackgroundError",
    "BadImageError",
    "BadVideoError",
    "BgremoverError",
    "MissingExtraError",
    "ModelNotFoundError",
    "Segmenter",
    "WeightsUnavailableError",
    "compose",
    "create_model",
    "cut_with_ray",
    "list_encoders",
    "list_models",
    "list_pretrained",
    "load_model",
    "probe_video",
    "read_frames",
    "read_image",
    "remove_background",
    "remove_background_video",
    "write_video",
]
try:
    __version__ = _metadata_version("bgremover")  # the installed package's, as pyproject.toml states it
except PackageNotFoundError:  # a checkout on sys.path without an install
    __version__ = "0+unknown"


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bgremover' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
