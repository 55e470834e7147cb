"""Datasets of person images and masks."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from bgremover.constants import IMAGE_SUFFIXES
from bgremover.data.pseudo_labels import decode_label
from bgremover.errors import DataNotFoundError, UsageError
from bgremover.io import read_image, read_mask

Transform = Callable[[np.ndarray, np.ndarray, int | None, int | None], tuple[np.ndarray, np.ndarray]]
Item = int | tuple[int, int] | tuple[int, int, int]


def unpack_item(item: Item) -> tuple[int, int | None, int | None]:
    """``index``, ``(index, size)`` or ``(index, size, seed)`` → (index, size, seed)."""
    if isinstance(item, tuple):
        return item[0], item[1], item[2] if len(item) > 2 else None
    return item, None, None


def read_split(path: str | os.PathLike) -> list[str]:
    """Stems listed one per line in a split file (blank lines and ``#`` comments ignored)."""
    lines = Path(path).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def find_pairs(root: str | os.PathLike, stems: list[str] | None = None) -> list[tuple[Path, Path]]:
    """(image, mask) paths for ``root/images/<stem>.*`` and ``root/masks/<stem>.png``.

    Raises :class:`~bgremover.errors.DataNotFoundError` where either folder is missing, and naming
    every stem that has an image but no mask (or the reverse).
    """
    root = Path(root)
    for folder in ("images", "masks"):
        if not (root / folder).is_dir():
            raise DataNotFoundError(
                f"{root} is not a data folder: it has no {folder}/ (a folder of pairs holds images/ and masks/"
                " with matching stems; pseudo-labelled frames are written by tools/pseudo_label.py)"
            )
    images = {p.stem: p for p in sorted((root / "images").iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
    masks = {p.stem: p for p in sorted((root / "masks").iterdir()) if p.suffix.lower() == ".png"}
    wanted = stems if stems is not None else sorted(images)
    unmatched = [s for s in wanted if s not in images or s not in masks]
    if stems is None:
        unmatched += [s for s in masks if s not in images]
    if unmatched:
        raise DataNotFoundError(f"{root}: {len(unmatched)} stems lack an image or a mask: {', '.join(unmatched[:10])}")
    return [(images[s], masks[s]) for s in wanted]


class PairDataset(Dataset):
    """Base of the datasets: subclasses implement ``load(index) -> (rgb uint8, mask float)`` and set
    ``transform``; items are tensors after the (optional) transform."""

    transform: Transform | None = None

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def __getitem__(self, item: Item) -> tuple[torch.Tensor, torch.Tensor]:
        index, size, seed = unpack_item(item)
        image, mask = self.load(index)
        if self.transform is not None:
            image, mask = self.transform(image, mask, size, seed)
        return to_tensors(image, mask)


class SegmentationFolder(PairDataset):
    """A folder with ``images/`` and ``masks/`` of matching stems, optionally restricted to a split.

    Items are ``(image, mask)``: float tensors (3, H, W) in [0, 1] and (1, H, W) in [0, 1]
    (binarised at 0.5 unless ``soft=True``). ``transform(image, mask, size, seed)`` works on numpy
    arrays; an item may be an int or ``(index, size[, seed])`` from a multi-scale sampler.

    Example:
        >>> ds = SegmentationFolder("../shared/data/ccp_person", split="test")  # doctest: +SKIP
        >>> image, mask = ds[0]  # doctest: +SKIP
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str | os.PathLike | None = None,
        transform: Transform | None = None,
        soft: bool = False,
        stems: list[str] | None = None,
    ):
        root = Path(root)
        if stems is None and split is not None:
            split_path = Path(split) if Path(split).is_file() else root / "splits" / f"{split}.txt"
            stems = read_split(split_path)
        self.pairs = find_pairs(root, stems)
        self.stems = [image.stem for image, _ in self.pairs]
        self.transform = transform
        self.soft = soft
        self.ignore_masks: set[Path] = set()  # pseudo-label masks: 128 marks unknown pixels (NaN in the label)

    def __len__(self) -> int:
        return len(self.pairs)

    def sample_images(self, count: int):
        """About ``count`` RGB images spread evenly over the set (a generator: decoded lazily)."""
        step = max(1, len(self) // max(count, 1))
        return (self.load(i)[0] for i in range(0, len(self), step))

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The raw RGB uint8 image and float mask of item ``index``."""
        image_path, mask_path = self.pairs[index]
        image, mask = read_image(image_path), read_mask(mask_path)
        if image.shape[:2] != mask.shape:
            raise UsageError(f"{image_path.stem}: image {image.shape[:2]} and mask {mask.shape} differ in size")
        if mask_path in self.ignore_masks:
            return image, decode_label(mask)
        return image, mask if self.soft else (mask >= 0.5).astype(np.float32)


class ConcatPairs(PairDataset):
    """Several pair datasets as one, their stems concatenated (for a validation set of several parts).

    Example:
        >>> import numpy as np
        >>> class Blank(PairDataset):
        ...     def __init__(self, stems): self.stems = stems
        ...     def __len__(self): return len(self.stems)
        ...     def load(self, i): return np.zeros((4, 4, 3), np.uint8), np.full((4, 4), i, np.float32)
        >>> both = ConcatPairs([Blank(["a"]), Blank(["b", "c"])])
        >>> both.stems, len(both), float(both.load(2)[1][0, 0])
        (['a', 'b', 'c'], 3, 1.0)
    """

    def __init__(self, parts: list[PairDataset], transform: Transform | None = None):
        self.parts, self.transform = list(parts), transform
        self.stems = [stem for part in self.parts for stem in part.stems]
        self.offsets = np.cumsum([0] + [len(part) for part in self.parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        part = int(np.searchsorted(self.offsets, index, side="right")) - 1
        return self.parts[part].load(index - int(self.offsets[part]))


def to_tensors(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 H×W×3 + float H×W → float (3, H, W) and (1, H, W) tensors in [0, 1]."""
    image_t = torch.from_numpy(np.require(image, requirements=("C", "W"))).permute(2, 0, 1).float() / 255.0
    mask_t = torch.from_numpy(np.require(mask, dtype=np.float32, requirements=("C", "W")))[None]
    return image_t, mask_t
