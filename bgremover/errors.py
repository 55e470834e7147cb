"""The library's error types: every message is fit to show a user as it is."""

from __future__ import annotations


class BgremoverError(Exception):
    """Base of every error the library raises on purpose; its message is fit to show a user as it is
    (the CLI prints it on one line; anything else is a bug and keeps its traceback)."""


class UsageError(BgremoverError, ValueError):
    """An argument, option or setting the library cannot honour: a value out of range, options that
    clash, an output that would overwrite an input."""


class MissingExtraError(BgremoverError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the extra."""


class BadImageError(BgremoverError, ValueError):
    """The input is not an image bgremover can read (corrupt, empty, too large, unsupported)."""


class BadVideoError(BgremoverError, ValueError):
    """The input is not a video bgremover can read, or the requested output cannot be written."""


class BadBackgroundError(BgremoverError, ValueError):
    """A background that is not ``"transparent"``, ``"blur"``, ``"greenscreen"``, a colour or a readable image."""


class ModelNotFoundError(BgremoverError, FileNotFoundError):
    """A model name, folder or Hub id that does not resolve to a usable model."""


class DataNotFoundError(BgremoverError, FileNotFoundError):
    """A data folder (training, validation or benchmark pairs) that is missing, or whose ``images/``
    and ``masks/`` do not match."""


class WeightsUnavailableError(BgremoverError, RuntimeError):
    """Pretrained weights were asked for but can be neither found locally nor downloaded."""
