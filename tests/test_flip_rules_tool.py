"""docs/experiments/tools/flip_rules.py, which chose how flip TTA merges its two passes: its rows are
the model's own predictions under each rule, and the shipped rule's row is predict(tta=True)."""

from __future__ import annotations

import numpy as np

from bgremover import load_model
from bgremover.metrics import iou
from tests.conftest import load_tool, run_validation_tool

TOOL = "docs/experiments/tools/flip_rules.py"


def test_rows_are_the_models_predictions_under_each_rule(tmp_path):
    asked = ("--rules", "mean", "max at the sides, ramped")
    done = run_validation_tool(TOOL, tmp_path, *asked, "--shift", "0.2", "--linked")
    assert done.returncode == 0, done.stderr
    means = done.stdout.strip().split("\n\n")[0].splitlines()[3:]  # the title line, the header, the rows
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in means}
    assert list(rows) == [
        "plain",
        "flip, mean",
        "flip, mean, linked",
        "flip, max at the sides, ramped",
        "flip, max at the sides, ramped, linked",
    ]
    from bgremover.train.validate import validation_samples

    samples, _ = validation_samples(str(tmp_path / "config.json"))
    model = load_model("fast")
    assert model.flip_shift == 0.2  # the shift asked for is the tier's own: the shipped rule's row is its flip TTA
    for row, options in {"plain": {}, "flip, max at the sides, ramped": {"tta": True}}.items():
        ious = [iou((model.predict(image, **options) >= 0.5).astype(np.float32), mask) for image, mask in samples]
        means = [np.mean(ious[:3]), np.mean(ious[3:]), np.mean(ious)]  # held-out, close-up composites, all
        assert [cell.strip(" |") for cell in rows[row]] == [f"{value:.4f}" for value in means]
    rules = load_tool("flip_rules", "docs/experiments/tools").RULES
    assert rules["max at the sides, ramped"].__name__ == "merge_flip"  # the shipped rule, not a copy of it


def test_logit_mean_lets_the_surer_pass_win_and_the_step_rule_keeps_the_whole_band():
    """The docstring examples of the tool (tools/ is outside the doctest paths)."""
    import doctest

    result = doctest.testmod(load_tool("flip_rules", "docs/experiments/tools"))
    assert result.attempted >= 4 and result.failed == 0
