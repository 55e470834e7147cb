"""``docs/experiments/tools/int8_agreement.py``: an int8 file scored by its distance from the unquantized network."""

from __future__ import annotations

import doctest

import numpy as np

from tests.conftest import load_tool


def test_agreement_and_its_table_give_known_answers():
    """IoU of the masks at 0.5 and mean |Δα| on a known pair; the table's means per part and the paired
    difference from the first model (photos where both agree have no spread: standard error 0)."""
    tool = load_tool("int8_agreement", "docs/experiments/tools")
    assert doctest.testmod(tool).failed == 0
    reference = np.zeros((10, 10), np.float32)
    reference[:5] = 1.0
    alpha = reference.copy()
    alpha[4] = 0.2  # one of five person rows lost, by 0.8 each
    iou, difference = tool.agreement(alpha, reference)
    assert iou == 0.8 and abs(difference - 0.08) < 1e-7
    rows = {"old": np.array([1.0, 0.9, 0.5, 0.5]), "new": np.array([1.0, 0.9, 0.7, 0.7])}
    lines = tool.table(rows, {"photos": [0, 1], "frames": [2, 3]}, 1.0)
    assert lines[0] == "| model | photos | frames |"
    assert lines[2] == "| old | 0.9500 | 0.5000 |"
    assert lines[3] == "| new | 0.9500 (+0.0000, 0.0000) | 0.7000 (+0.2000, 0.0000) |"
