"""tools/object_cutouts.py: which salient pieces of a people-free room become hard negatives, and how they are cut."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import load_tool

tool = load_tool("object_cutouts")


def room_map(top: int, bottom: int, left: int, right: int, value: float = 0.95) -> np.ndarray:
    prob = np.zeros((100, 100), np.float32)
    prob[top:bottom, left:right] = value
    return prob


@pytest.mark.parametrize(
    ("prob", "verdict"),
    [
        (room_map(40, 80, 20, 70), "kept"),  # a sofa in the room: 20 % of the photo, confident
        (room_map(40, 45, 20, 25), "too small (0.003)"),
        (room_map(0, 90, 5, 95), "too large (0.810)"),
        (room_map(60, 100, 0, 40), "kept"),  # cut by two edges (a corner) is still an object
        (room_map(50, 100, 0, 100), "too large (0.500)"),
        (room_map(70, 100, 0, 100), "touches 3 edges"),  # a floor, not an object
        (room_map(40, 80, 20, 70, value=0.6), "unsure (0.60)"),
    ],
)
def test_only_confident_objects_of_a_fair_size_that_stand_free_are_kept(prob, verdict):
    assert tool.judge(prob, tool.largest_piece(prob), 0.02, 0.45, 0.85) == verdict


def test_the_cut_is_the_piece_box_with_the_salient_probability_inside():
    prob = room_map(10, 30, 40, 60, value=0.9)
    prob[50:60, 50:60] = 1.0  # a smaller second piece is left out
    rgb = np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    image, mask = tool.cut(rgb, prob, tool.largest_piece(prob))
    assert (image == rgb[10:30, 40:60]).all()
    assert mask.dtype == np.uint8 and (mask == 230).all()  # 0.9 of 255
    sheet = tool.contact_sheet([(image, mask)], cell=32, columns=2)
    assert sheet.shape == (32, 64, 3) and (sheet[:, 32:] == 128).all()  # one cut-out, the rest grey
