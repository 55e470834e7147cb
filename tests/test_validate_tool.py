"""``bgremover validate``: models scored as they run on a training run's validation set, per part."""

from __future__ import annotations

import json
import subprocess

import numpy as np

from bgremover import load_model
from bgremover.constants import MULTISCALE
from bgremover.metrics import iou
from bgremover.train.validate import part_labels, validation_samples
from tests.cli import run_cli
from tests.conftest import CCP, DATA, REPO


def validate_fast(config, *options: str) -> subprocess.CompletedProcess:
    """``bgremover validate`` of the fast tier on ``config``'s validation set."""
    return run_cli("validate", "--config", str(config), "--model", "fast=fast", *options)


def test_rows_are_the_per_part_iou_of_each_variant_as_the_model_runs(tmp_path):
    config = tmp_path / "config.json"
    settings = dict(
        data=str(CCP),
        backgrounds=[str(DATA / "backgrounds_indoor")],
        val_closeups=True,
        val_bokeh=True,
        max_val_images=2,
    )
    config.write_text(json.dumps(settings))
    done = validate_fast(config, "--real-closeups", "--tta", "--multiscale", "--upsample", "guided", "--digits", "6")
    assert done.returncode == 0, done.stderr
    parts = ["held-out", "close-up composites", "portrait-lens composites", "real close-ups"]
    assert f"validation: 8 images ({', '.join(f'2 {part}' for part in parts)})" in done.stdout
    rows = {line.split(" | ")[0][2:]: line for line in done.stdout.splitlines() if line.startswith("| fast")}
    assert list(rows) == ["fast", "fast+flip", "fast+flip+multiscale", "fast+guided"]

    samples, labels = validation_samples(str(config), real_closeups=True)
    assert labels == [part for part in parts for _ in range(2)]
    model = load_model("fast")
    variants = {
        "fast": {},
        "fast+flip+multiscale": {"tta": True, "scales": MULTISCALE},
        "fast+guided": {"upsample": "guided"},
    }
    for name, options in variants.items():
        scores = np.array([iou(model.predict(image, **options), mask) for image, mask in samples])
        means = [*scores.reshape(4, 2).mean(axis=1), scores.mean()]
        assert rows[name].endswith(" | ".join(f"{v:.6f}" for v in means) + " |")


def test_a_recipe_naming_a_missing_data_folder_is_refused_on_one_line(tmp_path):
    """A recipe whose pseudo-labelled frames were never built (a fresh checkout): the library's error."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(dict(data=str(CCP), max_val_images=2, pseudo_data=[str(tmp_path / "frames")])))
    done = validate_fast(config)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"{tmp_path / 'frames'} is not a data folder: it has no images/" in done.stderr


def test_threshold_scores_the_alpha_binarised_there_and_refuses_values_outside_0_1(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(dict(data=str(CCP), max_val_images=3)))
    done = validate_fast(config, "--digits", "6", "--threshold", "0.2")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("| fast |"))
    samples, _ = validation_samples(str(config))
    model = load_model("fast")
    alphas, masks = [model.predict(image) for image, _ in samples], [mask for _, mask in samples]
    low = np.mean([iou((alpha >= 0.2).astype(np.float32), mask) for alpha, mask in zip(alphas, masks, strict=True)])
    plain = np.mean([iou(alpha, mask) for alpha, mask in zip(alphas, masks, strict=True)])
    assert row.endswith(f"| {low:.6f} |")
    assert any(((alpha >= 0.2) != (alpha >= 0.5)).any() for alpha in alphas)  # 0.2 binarises differently
    assert f"{low:.6f}" != f"{plain:.6f}"

    refused = validate_fast(config, "--threshold", "1.5")
    assert refused.returncode == 2 and "the threshold must lie strictly between 0 and 1, got 1.5" in refused.stderr


def test_committed_recipe_validates_on_80_held_out_photos_their_two_composites_and_close_up_crops():
    from bgremover.train.builders import build_datasets
    from bgremover.train.config import TrainConfig

    recipe = TrainConfig.from_file(REPO / "configs" / "default-finetune.yaml")
    assert recipe.data == "../shared/data/ccp_person"  # the checkout's neighbour, as every documented command
    moved = {
        "data": str(CCP),
        "extra_data": [str(DATA / "people_extra")],
        "backgrounds": [str(DATA / "backgrounds"), str(DATA / "backgrounds_indoor")],
    }
    config = TrainConfig.from_dict(recipe.to_dict() | moved)
    train, val = build_datasets(config)
    labels = part_labels(val)
    parts = ["held-out", "close-up composites", "portrait-lens composites", "real close-ups"]
    assert labels == [part for part in parts for _ in range(80)]
    assert not set(val.parts[0].stems) & set(train.stems)  # validation people are never trained on


def test_paired_rows_are_each_variants_difference_from_the_first_photo_by_photo(tmp_path):
    from bgremover.metrics.paired import compare_scores

    config = tmp_path / "config.json"
    config.write_text(json.dumps(dict(data=str(CCP), max_val_images=3)))
    done = validate_fast(config, "--tta", "--paired", "--digits", "6")
    assert done.returncode == 0, done.stderr
    assert "difference from fast, photo by photo (bootstrap standard error):" in done.stdout
    row = next(line for line in done.stdout.splitlines() if line.startswith(("| fast+flip | +", "| fast+flip | -")))
    samples, _ = validation_samples(str(config))
    model = load_model("fast")
    plain = [iou(model.predict(image), mask) for image, mask in samples]
    flipped = [iou(model.predict(image, tta=True), mask) for image, mask in samples]
    stats = compare_scores(flipped, plain)
    cell = f"{stats['mean_difference']:+.6f} ({stats['standard_error']:.6f})"
    assert row == f"| fast+flip | {cell} | {cell} |"  # one part (held-out) and all
    assert stats["mean_difference"] != 0 and stats["standard_error"] > 0
