"""Every ``BGREMOVER_*`` environment variable, read when asked (so a change takes effect without a re-import).

| variable | what | default |
|---|---|---|
| ``BGREMOVER_MODEL`` | the model ``load_model()`` and the app use | ``default`` |
| ``BGREMOVER_CACHE`` | exported graphs, built benchmark sets, peer weights | ``~/.cache/bgremover`` |
| ``BGREMOVER_WEIGHTS_DIR`` | local pretrained weights instead of downloads | — |
| ``BGREMOVER_MIRROR`` | a server (URL) holding the downloaded files by name, asked instead of their sources | — |
| ``BGREMOVER_DATA_DIR`` | benchmark and training data folder | — |
| ``BGREMOVER_MAX_PIXELS`` | largest image (pixels) or video frame accepted | 50 000 000 |
| ``BGREMOVER_MAX_BYTES`` | largest image file accepted | 50 MiB |
| ``BGREMOVER_VIDEO_MAX_SECONDS`` | longest clip the app accepts | 60 |
| ``BGREMOVER_VIDEO_MAX_BYTES`` | largest clip the app accepts | 200 MiB |

Example:
    >>> import os
    >>> os.environ["BGREMOVER_VIDEO_MAX_SECONDS"] = "12.5"
    >>> video_max_seconds()
    12.5
    >>> del os.environ["BGREMOVER_VIDEO_MAX_SECONDS"]; video_max_seconds()
    60.0
"""

from __future__ import annotations

import os
from pathlib import Path

from bgremover.errors import UsageError

MODEL = "BGREMOVER_MODEL"
CACHE = "BGREMOVER_CACHE"
WEIGHTS_DIR = "BGREMOVER_WEIGHTS_DIR"
DATA_DIR = "BGREMOVER_DATA_DIR"
MIRROR = "BGREMOVER_MIRROR"


def _number(name: str, default: float, kind: type = int):
    value = os.environ.get(name)
    if value is None or value == "":
        return kind(default)
    try:
        return kind(value)
    except ValueError:
        raise UsageError(f"{name} must be a number, got {value!r}") from None


def model() -> str:
    return os.environ.get(MODEL) or "default"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE) or Path.home() / ".cache" / "bgremover")


def weights_dir() -> str | None:
    return os.environ.get(WEIGHTS_DIR) or None


def mirror() -> str | None:
    return os.environ.get(MIRROR) or None


def data_dir() -> str | None:
    return os.environ.get(DATA_DIR) or None


def max_pixels() -> int:
    return _number("BGREMOVER_MAX_PIXELS", 50_000_000)


def max_bytes() -> int:
    return _number("BGREMOVER_MAX_BYTES", 50 * 1024 * 1024)


def video_max_seconds() -> float:
    return _number("BGREMOVER_VIDEO_MAX_SECONDS", 60, float)


def video_max_bytes() -> int:
    return _number("BGREMOVER_VIDEO_MAX_BYTES", 200 * 1024 * 1024)
