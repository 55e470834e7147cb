"""The indoor close-up benchmark: held-out people on held-out rooms, through the realism pipeline.

CCP *test* people (never trained on) are composited onto the held-out fifth of
``backgrounds_indoor`` (rooms that :func:`bgremover.data.background_files` keeps out of every
training run) as webcam, video-call and portrait framings: head-and-shoulders close-ups and
head-and-torso crops, with the background defocused or the person's colours moved towards the
room's light as the training composites are, saved as JPEG (quality 85). The set is built once
into a cache folder from fixed seeds, so every machine scores the same images (the checksum in
each results file proves it).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2

from bgremover import settings
from bgremover.data import CLOSEUP_FRAMINGS, CompositeSet, CopyPaste, SegmentationFolder

NAME = "indoor_closeup"
VERSION = 1


def cache_dir() -> Path:
    return settings.cache_dir() / "benchmarks" / f"{NAME}-v{VERSION}"


def build(data_dir: str | os.PathLike, out: str | os.PathLike | None = None, limit: int | None = None) -> Path:
    """Write ``images/`` and ``masks/`` (one per CCP test photo; the first ``limit`` only, if given)
    under ``out`` (default: :func:`cache_dir`) unless they are already there."""
    data_dir, out = Path(data_dir), Path(out) if out else cache_dir()
    people = SegmentationFolder(data_dir / "ccp_person", split="test")
    count = min(limit or len(people), len(people))
    if (out / "masks").is_dir() and len(list((out / "masks").glob("*.png"))) == count:
        return out
    rooms = CopyPaste.from_folder(
        data_dir / "backgrounds_indoor", split="heldout", config=CLOSEUP_FRAMINGS, seed=VERSION
    )
    scenes = CompositeSet(people, rooms)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    for index, stem in enumerate(scenes.stems[:count]):
        image, mask = scenes.load(index)
        cv2.imwrite(str(out / "images" / f"{stem}.jpg"), image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
        cv2.imwrite(str(out / "masks" / f"{stem}.png"), (mask >= 0.5).astype("uint8") * 255)
    return out
