"""Batch samplers: multi-scale batches and hard-example mining."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler


class MultiScaleBatchSampler(Sampler[list[tuple[int, int]]]):
    """Wrap an index sampler; every batch gets one size drawn from ``sizes``.

    Yields lists of ``(index, size, item_seed)`` that :class:`SegmentationFolder` understands.
    Sizes and item seeds depend only on (seed, epoch, position), so augmentations are
    reproducible in any worker and a resumed epoch (``start_batch``) replays exactly.

    Example:
        >>> batches = list(MultiScaleBatchSampler(range(5), 2, sizes=(32, 64), seed=0))
        >>> [len(b) for b in batches], all(len({s for _, s, _ in b}) == 1 for b in batches)
        ([2, 2, 1], True)
    """

    def __init__(
        self,
        sampler: Sequence[int] | Sampler[int],
        batch_size: int,
        sizes: Sequence[int],
        drop_last: bool = False,
        seed: int = 0,
    ):
        self.sampler = sampler
        self.batch_size = batch_size
        self.sizes = list(sizes)
        self.drop_last = drop_last
        self.seed = seed
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Start epoch ``epoch`` at batch ``start_batch``; reorders the inner sampler if it can."""
        self.epoch = epoch
        self.start_batch = start_batch
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[list[tuple[int, int, int]]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        indices = [int(i) for i in self.sampler]
        stop = len(indices) - len(indices) % self.batch_size if self.drop_last else len(indices)
        for number, begin in enumerate(range(0, stop, self.batch_size)):
            batch = indices[begin : begin + self.batch_size]
            size = int(rng.choice(self.sizes))
            seeds = rng.integers(0, 2**31, len(batch))
            if number >= self.start_batch:
                yield [(i, size, int(s)) for i, s in zip(batch, seeds, strict=True)]

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class HardExampleSampler(Sampler[int]):
    """Sample indices with probability growing with each item's last recorded loss.

    Weight = uniform share ``floor`` + (1 − floor) · loss / Σloss, so no item is ever starved.
    Call :meth:`update` with per-item losses seen during an epoch.

    Example:
        >>> sampler = HardExampleSampler(4, seed=0, floor=0.0)
        >>> sampler.update([0, 1, 2, 3], [0.0, 0.0, 0.0, 1.0])
        >>> set(sampler)
        {3}
    """

    def __init__(self, size: int, seed: int = 0, floor: float = 0.5):
        self.losses = np.ones(size, dtype=np.float64)
        self.seed = seed
        self.floor = floor
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def update(self, indices: Sequence[int], losses: Sequence[float]) -> None:
        """Record the latest loss of each index."""
        self.losses[np.asarray(indices, dtype=np.int64)] = np.asarray(losses, dtype=np.float64)

    def weights(self) -> np.ndarray:
        share = (
            self.losses / self.losses.sum()
            if self.losses.sum() > 0
            else np.full_like(self.losses, 1 / len(self.losses))
        )
        return self.floor / len(self.losses) + (1 - self.floor) * share

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 10_007 + self.epoch)
        weights = torch.as_tensor(self.weights())
        return iter(torch.multinomial(weights, len(self.losses), replacement=True, generator=generator).tolist())

    def __len__(self) -> int:
        return len(self.losses)
