"""docs/experiments/tools/flip_alignment.py, a diagnostic of the flip experiments: the plain and mirrored
network passes, scored per validation part."""

from __future__ import annotations

import numpy as np

from bgremover import load_model
from bgremover.metrics import iou
from tests.conftest import load_tool, run_validation_tool

TOOL = "docs/experiments/tools/flip_alignment.py"


def test_plain_and_flip_average_columns_are_the_models_own_predictions(tmp_path):
    done = run_validation_tool(TOOL, tmp_path, "--sides")
    assert done.returncode == 0, done.stderr
    parts, by_side = (table.splitlines()[2:] for table in done.stdout.strip().split("\n\n"))
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in parts}
    assert list(rows) == ["held-out", "close-up composites"]
    sides = {tuple(line[2:].split(" | ")[:2]): line.split(" | ")[2:5] for line in by_side}
    from bgremover.train.validate import validation_samples

    touched_sides = load_tool("flip_alignment", "docs/experiments/tools").touched_sides

    samples, _ = validation_samples(str(tmp_path / "config.json"))
    model = load_model("fast")
    for part, pairs in {"held-out": samples[:3], "close-up composites": samples[3:]}.items():
        plain = np.mean([iou(model.predict(image), mask) for image, mask in pairs])
        flip = np.mean([iou(model.predict(image, tta=True), mask) for image, mask in pairs])
        photos, got_plain, _, got_flip, _, gap, _ = rows[part]
        assert (photos, got_plain, got_flip) == ("3", f"{plain:.4f}", f"{flip:.4f}")
        assert abs(float(gap)) < 3  # network pixels between the passes: a fraction, never a misregistration
        for side in {touched_sides(mask) for _, mask in pairs}:
            group = [(image, mask) for image, mask in pairs if touched_sides(mask) == side]
            plain = np.mean([iou(model.predict(image), mask) for image, mask in group])
            assert sides[part, side][:2] == [str(len(group)), f"{plain:.4f}"]
    assert sum(int(count) for (part, _), (count, *_) in sides.items() if part == "all") == len(samples)


def test_best_fit_finds_known_horizontal_and_vertical_offsets():
    """The docstring examples of the tool (tools/ is outside the doctest paths): an answer one pixel
    left of its mask fits best moved +1 px right; one pixel below, moved 1 px up; a person cut by
    the right edge touches the left one once mirrored."""
    import doctest

    result = doctest.testmod(load_tool("flip_alignment", "docs/experiments/tools"))
    assert result.attempted >= 5 and result.failed == 0
