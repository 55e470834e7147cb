"""The optional parts of the install, asked for by name when missing (as rembg asks for its runtime).

The core (``pip install bgremover``) cuts photos with PyTorch. The extras add:

- ``runtimes``: ONNX export, ONNX Runtime, OpenVINO and LiteRT — the faster CPU runtimes
  ``backend="auto"`` prefers, the fast tier's int8 file and the fused tiers' peers (U²-Net, MediaPipe
  Selfie);
- ``video``: PyAV, for clips in and out;
- ``heif``: pillow-heif, for iPhone HEIC/HEIF photos;
- ``matting``: pymatting, for foreground colour estimation.

Example:
    >>> installed("numpy")
    True
    >>> require("no_such_module", "video", "reading video")
    Traceback (most recent call last):
    ...
    bgremover.errors.MissingExtraError: reading video needs no_such_module: pip install 'bgremover[video]'
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from bgremover.errors import MissingExtraError

RUNTIME_MODULES = ("onnx", "onnxruntime", "openvino")  # what backend="auto" needs to leave PyTorch


def installed(*modules: str) -> bool:
    """Whether every one of ``modules`` can be imported (found on the path; nothing is imported)."""
    return all(importlib.util.find_spec(module) is not None for module in modules)


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """``module`` imported, or a :class:`~bgremover.errors.MissingExtraError` saying which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(f"{purpose} needs {module}: pip install 'bgremover[{extra}]'") from None
