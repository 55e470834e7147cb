"""docs/experiments/tools/flip_rules.py, which chose how flip TTA merges its two passes: its rows are
the model's own predictions under each rule, and the shipped rule's row is predict(tta=True)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from bgremover import load_model
from bgremover.metrics import iou
from tests.conftest import CCP, DATA, REPO, load_tool

TOOL = "docs/experiments/tools/flip_rules.py"


def test_rows_are_the_models_predictions_under_each_rule(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            dict(data=str(CCP), backgrounds=[str(DATA / "backgrounds_indoor")], val_closeups=True, max_val_images=3)
        )
    )
    done = subprocess.run(
        [sys.executable, TOOL, "--config", str(config), "--model", "fast", "--rules", "mean", "max at the sides"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    means = done.stdout.strip().split("\n\n")[0].splitlines()[3:]  # the title line, the header, the rows
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in means}
    assert list(rows) == ["plain", "flip, mean", "flip, max at the sides"]
    from bgremover.train.validate import validation_samples

    samples, _ = validation_samples(str(config))
    model = load_model("fast")
    rules = load_tool("flip_rules", "docs/experiments/tools").RULES
    for row, options in {"plain": {}, "flip, max at the sides": {"tta": True}}.items():
        for part, pairs in {"held-out": samples[:3], "close-up composites": samples[3:], "all": samples}.items():
            index = ["held-out", "close-up composites", "all"].index(part)
            expected = np.mean(
                [iou((model.predict(image, **options) >= 0.5).astype(np.float32), mask) for image, mask in pairs]
            )
            assert rows[row][index].strip(" |") == f"{expected:.4f}"
    assert rules["max at the sides"].__name__ == "merge_flip"  # the shipped rule, not a copy of it


def test_logit_mean_lets_the_surer_pass_win():
    """The docstring examples of the tool (tools/ is outside the doctest paths)."""
    import doctest

    result = doctest.testmod(load_tool("flip_rules", "docs/experiments/tools"))
    assert result.attempted >= 1 and result.failed == 0
