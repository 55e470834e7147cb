"""Your own folder as a benchmark set, and methods compared photo by photo against a baseline."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bgremover_leaderboard.__main__ import main
from bgremover_leaderboard.datasets import folder_benchmark
from bgremover_leaderboard.paired import compare_scores, paired_differences
from bgremover_leaderboard.report import load_results
from tests.conftest import CCP


def document(scores: dict[str, list[float]], framing: list[str] | None = None) -> dict:
    """A results file's contents: per-image IoU of each method on photos p0, p1, ..."""
    stems = [f"p{i}" for i in range(len(next(iter(scores.values()))))]
    results = {
        name: {"available": True, "per_image": {s: {"iou": v} for s, v in zip(stems, values, strict=True)}}
        for name, values in scores.items()
    }
    results["gone"] = {"available": False, "reason": "not installed"}
    return {"results": results, "framing": dict(zip(stems, framing or ["close-up"] * len(stems), strict=True))}


def test_paired_differences_known_answers():
    base = [0.9, 0.8, 0.7, 0.6]
    doc = document(
        {"base": base, "ahead": [v + 0.1 for v in base], "mixed": [1.0, 0.6, 0.9, 0.4]},
        framing=["close-up", "close-up", "full-body", "full-body"],
    )
    rows = {row["method"]: row for row in paired_differences(doc, "base")}
    assert set(rows) == {"ahead", "mixed"}  # the baseline and unavailable methods have no row
    ahead, mixed = rows["ahead"], rows["mixed"]
    assert (ahead["better"], ahead["worse"], ahead["photos"]) == (4, 0, 4)
    assert ahead["mean_difference"] == pytest.approx(0.1) and ahead["median_difference"] == pytest.approx(0.1)
    assert ahead["standard_error"] == pytest.approx(0.0, abs=1e-9)  # the same difference on every photo
    assert ahead["mean"] == pytest.approx(0.85) and ahead["median"] == pytest.approx(0.85)
    # differences +0.1, -0.2, +0.2, -0.2: mean -0.025, spread 0.175, standard error 0.175 / sqrt(4)
    assert (mixed["better"], mixed["worse"]) == (2, 2)
    assert mixed["mean_difference"] == pytest.approx(-0.025)
    assert mixed["standard_error"] == pytest.approx(np.std([0.1, -0.2, 0.2, -0.2]) / 2, rel=0.05)
    close = {row["method"]: row for row in paired_differences(doc, "base", framing="close-up")}
    assert close["mixed"]["photos"] == 2 and close["mixed"]["mean_difference"] == pytest.approx(-0.05)
    assert [row["method"] for row in paired_differences(doc, "base")] == ["ahead", "mixed"]  # best first
    with pytest.raises(ValueError, match="'gone' has no results on this set; methods: ahead, base, mixed"):
        paired_differences(doc, "gone")
    with pytest.raises(ValueError, match="no photo of framing 'group'"):
        paired_differences(doc, "base", framing="group")
    with pytest.raises(ValueError, match="equally long lists of photos"):
        compare_scores([0.9, 0.8], [0.9])


def test_the_tab_lists_every_method_against_mediapipe_photo_by_photo():
    from bgremover_leaderboard.tab import paired_rows

    doc = document({"mediapipe_selfie": [0.9, 0.8, 0.7], "ours": [1.0, 0.9, 0.6]}, ["close-up", "close-up", "group"])
    (row,) = paired_rows(doc)
    assert row[:3] == ["ours", 3, "2 / 1"] and row[4] == "+0.1000" and row[3].startswith("+0.0333 (")
    # differences +0.1, +0.1, -0.1: the standard error of their mean is their spread / sqrt(3)
    assert float(row[3].split("(")[1].rstrip(")")) == pytest.approx(np.std([0.1, 0.1, -0.1]) / np.sqrt(3), rel=0.05)
    assert paired_rows(doc, framing="close-up")[0][:3] == ["ours", 2, "2 / 0"]
    del doc["results"]["mediapipe_selfie"]
    assert paired_rows(doc) == []  # no baseline on this set: no table


@pytest.fixture(scope="module")
def own_folder(tmp_path_factory):
    """Three CCP test photos and their masks copied into a folder of one's own."""
    folder = tmp_path_factory.mktemp("heldout")
    for sub in ("images", "masks"):
        (folder / sub).mkdir()
    for stem in ("0005", "0010", "0015"):
        shutil.copy(CCP / "images" / f"{stem}.jpg", folder / "images")
        shutil.copy(CCP / "masks" / f"{stem}.png", folder / "masks")
    return folder


def test_a_folder_of_ones_own_is_run_and_compared(own_folder, tmp_path, capsys):
    results = tmp_path / "results"
    argv = ["run", "--results", str(results), "--folder", f"mine={own_folder}"]
    assert main([*argv, "--methods", "watershed", "ours:bgremover-fast"]) == 0
    document = load_results(results)["mine"]
    assert set(load_results(results)) == {"mine"}  # only the folder: no --data-dir
    assert document["images"] == 3 and document["checksum"] == folder_benchmark("x", own_folder).checksum()
    fast, watershed = (document["results"][m]["per_image"] for m in ("ours:bgremover-fast", "watershed"))
    # the same photos and methods as the committed CCP test results: the same per-photo answers
    committed = load_results()["ccp_test"]["results"]
    for stem in ("0005", "0010", "0015"):
        assert watershed[stem]["iou"] == pytest.approx(committed["watershed"]["per_image"][stem]["iou"], abs=1e-5)
        assert fast[stem]["iou"] == pytest.approx(committed["ours:bgremover-fast"]["per_image"][stem]["iou"], abs=0.01)
    capsys.readouterr()
    assert main(["compare", "--results", str(results), "--dataset", "mine", "--baseline", "watershed"]) == 0
    table = capsys.readouterr().out
    expected = np.mean([fast[s]["iou"] - watershed[s]["iou"] for s in fast])
    assert "| ours:bgremover-fast | 3 |" in table and f"{expected:+.4f} (" in table
    assert "better / worse than watershed" in table


def test_bad_folders_and_sets_get_clear_errors(own_folder, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    for argv, message in [
        (["run", "--folder", f"x={empty}"], "has no images/ with matching masks/"),
        (["run", "--folder", "no-equals-sign"], "--folder takes NAME=VALUE"),
        (["run", "--folder", f"x={own_folder}", "--datasets", "y"], "unknown datasets ['y']"),
        (["compare", "--results", str(tmp_path), "--dataset", "mine"], "no results for 'mine'"),
        (["compare", "--dataset", "web_people", "--metric", "nonsense"], "have no per-image 'nonsense'"),
        (["compare", "--dataset", "web_people", "--baseline", "nobody"], "'nobody' has no results on this set"),
    ]:
        with pytest.raises(SystemExit):
            main(argv)
        assert message in capsys.readouterr().err
