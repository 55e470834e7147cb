"""A stream of same-size frames through a segmenter, a few frames per network call, steadied across
frames on request. It takes any object with the :meth:`~bgremover.inference.Segmenter.predict` contract,
so the library's video paths and :meth:`~bgremover.inference.Segmenter.predict_video` share it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from bgremover.constants import DEFAULT_SUBJECT
from bgremover.errors import UsageError
from bgremover.temporal import TemporalSmoother

if TYPE_CHECKING:
    from bgremover.inference import Segmenter

DEFAULT_BATCH = 4


def predict_frames(
    segmenter: Segmenter,
    frames: Iterable[np.ndarray],
    batch_size: int = DEFAULT_BATCH,
    stabilize: bool = False,
    subject: str = DEFAULT_SUBJECT,
    **predict_options,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(frame, alpha) for a stream of same-size RGB frames, ``batch_size`` frames per network call;
    ``stabilize`` applies :class:`~bgremover.temporal.TemporalSmoother`; ``predict_options``
    (``tta``, ``scales``, ``refine``, ``upsample``) go to :meth:`~bgremover.inference.Segmenter.predict`."""
    if batch_size < 1:
        raise UsageError(f"batch_size must be at least 1, got {batch_size}")
    smoother = TemporalSmoother() if stabilize else None
    batch: list[np.ndarray] = []

    def flush():
        alphas = segmenter.predict(batch, subject=subject, **predict_options) if batch else []
        for rgb, alpha in zip(batch, alphas, strict=True):
            yield rgb, smoother(rgb, alpha) if smoother else alpha
        batch.clear()

    for rgb in frames:
        batch.append(rgb)
        if len(batch) == batch_size:
            yield from flush()
    yield from flush()
