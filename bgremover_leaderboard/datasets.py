"""Benchmark sets under the data folder (``--data-dir`` or ``$BGREMOVER_DATA_DIR``)."""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from bgremover import settings
from bgremover.data import find_pairs, read_split


@dataclass(frozen=True)
class Benchmark:
    """A named list of (image, mask) pairs."""

    name: str
    description: str
    pairs: tuple[tuple[Path, Path], ...]

    def checksum(self) -> str:
        """sha256 over every image and mask file, in order."""
        digest = hashlib.sha256()
        for image, mask in self.pairs:
            digest.update(image.read_bytes())
            digest.update(mask.read_bytes())
        return digest.hexdigest()


def data_dir(override: str | os.PathLike | None = None) -> Path:
    value = override or settings.data_dir()
    if not value:
        raise FileNotFoundError("set --data-dir or BGREMOVER_DATA_DIR to the data folder (e.g. ../shared/data)")
    return Path(value)


def _davis_clean_stems(root: Path) -> list[str]:
    with open(root / "meta.csv") as handle:
        return [row["stem"] for row in csv.DictReader(handle) if row["unannotated_bystanders"] == "0"]


def folder_benchmark(name: str, folder: str | os.PathLike) -> Benchmark:
    """A set of your own: every ``images/`` file of ``folder`` with its ``masks/`` PNG of the same stem
    (e.g. held-out portraits that never leave your machine)."""
    folder = Path(folder).expanduser()
    pairs = tuple(find_pairs(folder)) if (folder / "images").is_dir() and (folder / "masks").is_dir() else ()
    if not pairs:
        raise FileNotFoundError(f"{folder} has no images/ with matching masks/ (same stems, masks as PNG)")
    return Benchmark(name, f"{folder.name}: a folder of images and masks", pairs)


def benchmarks(root: str | os.PathLike | None = None) -> dict[str, Benchmark]:
    """CCP test (200), DAVIS (119), DAVIS clean subset, web photos (290), the synthetic indoor close-up set
    (200, built on first use: :mod:`bgremover_leaderboard.synthetic`) and the CIHP sample (5, qualitative)."""
    from bgremover_leaderboard import synthetic

    root = data_dir(root)
    ccp, davis, cihp = root / "ccp_person", root / "davis_person", root / "cihp_sample"
    web = root / "web_people"
    sets = [
        Benchmark(
            "ccp_test",
            "CCP test split: full-body street fashion",
            tuple(find_pairs(ccp, read_split(ccp / "splits" / "test.txt"))),
        ),
        Benchmark("davis", "DAVIS 2016 person frames: small, moving people", tuple(find_pairs(davis))),
        Benchmark(
            "davis_clean",
            "DAVIS frames without unannotated bystanders",
            tuple(find_pairs(davis, _davis_clean_stems(davis))),
        ),
        Benchmark(
            "web_people",
            "web photos: portraits, half-body, pedestrians, groups (masks by remove.bg)",
            tuple(find_pairs(web)),
        ),
        Benchmark(
            synthetic.NAME,
            "CCP test people in held-out rooms: webcam close-ups and portraits (synthetic)",
            tuple(find_pairs(synthetic.build(root))),
        ),
        Benchmark("cihp_sample", "CIHP group photos (5, qualitative)", tuple(find_pairs(cihp))),
    ]
    return {b.name: b for b in sets}
