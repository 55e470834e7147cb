"""The one interface every leaderboard method implements: RGB image → alpha in [0, 1]."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class MethodUnavailable(RuntimeError):
    """A method cannot run here (missing weights or package); the message says why."""


class Method(ABC):
    """A background-removal method under test.

    ``name`` is unique; ``resolution`` documents the working resolution. :meth:`load` prepares
    the method (raising :class:`MethodUnavailable` with a reason when it cannot run);
    :meth:`predict` maps an RGB uint8 H×W×3 image to a float32 H×W alpha in [0, 1]; :meth:`close`
    releases what ``load`` holds.
    """

    name: str = ""
    resolution: str = ""
    kind: str = "baseline"

    def load(self) -> None:  # noqa: B027 - optional hook
        """Load weights or packages; raise :class:`MethodUnavailable` if impossible."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what :meth:`load` holds (threads, native handles); :meth:`load` may follow."""

    @abstractmethod
    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """Alpha (H×W float32 in [0, 1]) for ``rgb`` (H×W×3 uint8)."""
