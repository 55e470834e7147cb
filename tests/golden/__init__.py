"""Golden outputs of the shipped models: fixed photos → alpha statistics, stored in JSON.

Regenerate after a model changes on purpose (and say so in the changelog):
``python -m tests.golden.write``.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

FOLDER = Path(__file__).resolve().parent
GRID = 8  # alpha averaged over an 8×8 grid of cells
PHOTOS = (  # (data folder, image stem): a full-body street photo, a video frame, a group
    ("ccp_person", "0005"),  # CCP test split
    ("davis_person", "hike_00000"),
    ("cihp_sample", None),  # the first photo of the set
)


def photo_paths(data: Path) -> list[Path]:
    paths = []
    for folder, stem in PHOTOS:
        images = sorted((data / folder / "images").iterdir())
        paths.append(next(p for p in images if p.stem == stem) if stem else images[0])
    return paths


def signature(alpha: np.ndarray) -> dict:
    """Mean alpha, share above 0.5, and the alpha averaged over a GRID×GRID grid."""
    cells = cv2.resize(alpha.astype(np.float32), (GRID, GRID), interpolation=cv2.INTER_AREA)
    return {
        "mean": round(float(alpha.mean()), 5),
        "foreground": round(float((alpha >= 0.5).mean()), 5),
        "grid": [round(float(v), 4) for v in cells.flatten()],
    }


def golden_file(model: str) -> Path:
    return FOLDER / f"{model}.json"


def load(model: str) -> dict:
    return json.loads(golden_file(model).read_text())
