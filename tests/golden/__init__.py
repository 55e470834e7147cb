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
# The app's credited example photos (committed, so a clone runs these tests): hands raised with people
# around, a cluttered room seen from behind, a close group of three, six people side by side.
EXAMPLES = FOLDER.parents[1] / "bgremover_app" / "examples"
PHOTOS = (
    "hands_raised_charades.jpg",
    "fullbody_worker_on_ladder.jpg",
    "group_apollo11_crew.jpg",
    "group_six_people.jpg",
)


def photo_paths() -> list[Path]:
    return [EXAMPLES / name for name in PHOTOS]


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
