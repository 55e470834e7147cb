"""The library's error types: every message is fit to show a user as it is."""

from __future__ import annotations


class BadImageError(ValueError):
    """The input is not an image bgremover can read (corrupt, empty, too large, unsupported)."""


class BadVideoError(ValueError):
    """The input is not a video bgremover can read, or the requested output cannot be written."""


class BadBackgroundError(ValueError):
    """A background that is not ``"transparent"``, ``"blur"``, ``"greenscreen"``, a colour or a readable image."""


class ModelNotFoundError(FileNotFoundError):
    """A model name, folder or Hub id that does not resolve to a usable model."""


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights were asked for but can be neither found locally nor downloaded."""
