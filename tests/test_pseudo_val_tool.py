"""tools/pseudo_val.py: held-out teacher-labelled frames scored on their known pixels, worst frames listed."""

from __future__ import annotations

import re
import sys

import cv2
import numpy as np

import bgremover
from tests.conftest import load_tool, rng_image

tool = load_tool("pseudo_val")


class Everyone:
    """Marks every pixel as person: its precision on a frame is the person's share of the known pixels."""

    def predict(self, rgb: np.ndarray, tta: bool = False) -> np.ndarray:
        return np.ones(rgb.shape[:2], np.float32)


def test_scores_on_known_pixels_and_lists_the_frames_with_the_lowest_precision(tmp_path, monkeypatch, capsys):
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    for i, columns in enumerate((48, 16, 32)):  # the person fills 3/4, 1/4, 1/2 of the frame's width
        cv2.imwrite(str(tmp_path / "images" / f"clip-a-{i:05d}.jpg"), rng_image(64, 64, seed=i))
        mask = np.zeros((64, 64), np.uint8)
        mask[:, :columns] = 255
        mask[:, 60:] = 128  # unknown background: left out of the scores
        cv2.imwrite(str(tmp_path / "masks" / f"clip-a-{i:05d}.png"), mask)
    monkeypatch.setattr(bgremover, "load_model", lambda source: Everyone())
    argv = ["pseudo_val.py", "--folder", str(tmp_path), "--model", "everyone=x", "--worst", "2"]
    monkeypatch.setattr(sys, "argv", argv)
    tool.main()
    out = capsys.readouterr().out
    assert out.startswith("3 held-out frames: 3 clip")
    assert "| everyone | 0.5333 | 0.5333 | 0.5333 | 1.0000 | +0.0000 (0.0000) |" in out  # (48 + 16 + 32) / 3 / 60
    listed = re.findall(r"- (clip-a-\d+): ([\d.]+) / ([\d.]+) / ([\d.]+)", out)
    assert listed == [("clip-a-00001", "0.267", "0.267", "1.000"), ("clip-a-00002", "0.533", "0.533", "1.000")]
