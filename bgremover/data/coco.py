"""COCO-format person annotations (COCO, LVIS or any COCO export) as one mask per image."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bgremover.data.dataset import PairDataset, Transform
from bgremover.errors import UsageError
from bgremover.io import read_image


class CocoPersonDataset(PairDataset):
    """Images of a COCO annotation file with all instances of ``category`` merged into one mask.

    Images without any such instance are skipped unless ``keep_empty``. Items are
    ``(image, mask)`` tensors as in :class:`~bgremover.data.SegmentationFolder`.

    Example:
        >>> ds = CocoPersonDataset("coco/val2017", "coco/annotations/instances_val2017.json")  # doctest: +SKIP
    """

    def __init__(
        self,
        image_dir: str | os.PathLike,
        annotation_file: str | os.PathLike,
        category: str = "person",
        transform: Transform | None = None,
        keep_empty: bool = False,
    ):
        from pycocotools.coco import COCO

        self.coco = COCO(str(annotation_file))
        self.image_dir = Path(image_dir)
        category_ids = self.coco.getCatIds(catNms=[category])
        if not category_ids:
            raise UsageError(f"{annotation_file}: no category named {category!r}")
        self.category_ids = category_ids
        image_ids = sorted(self.coco.getImgIds())
        self.image_ids = [
            i for i in image_ids if keep_empty or self.coco.getAnnIds(imgIds=i, catIds=category_ids, iscrowd=None)
        ]
        self.stems = [Path(self.coco.imgs[i]["file_name"]).stem for i in self.image_ids]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.image_ids)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """RGB uint8 image and binary float mask (union of the category's instances)."""
        info = self.coco.imgs[self.image_ids[index]]
        image = read_image(self.image_dir / info["file_name"])
        mask = np.zeros((info["height"], info["width"]), np.uint8)
        for ann in self.coco.loadAnns(self.coco.getAnnIds(imgIds=info["id"], catIds=self.category_ids, iscrowd=None)):
            mask |= self.coco.annToMask(ann).astype(np.uint8)
        if image.shape[:2] != mask.shape:
            raise UsageError(f"{info['file_name']}: image {image.shape[:2]} and annotation {mask.shape} differ in size")
        return image, mask.astype(np.float32)
