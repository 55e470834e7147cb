"""Leaderboard methods, results schema, and the reproducibility check."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bgremover.io import read_image
from bgremover_leaderboard.card import recipe_extras
from bgremover_leaderboard.check import check
from bgremover_leaderboard.datasets import Benchmark, benchmarks
from bgremover_leaderboard.harness import run
from bgremover_leaderboard.methods import MethodUnavailable, OnnxPeer, OnnxPeerSpec, all_methods
from bgremover_leaderboard.report import RESULTS_DIR, SchemaError, load_results, validate
from tests.conftest import DATA

METHODS = all_methods()


@pytest.fixture(scope="module")
def sets() -> dict[str, Benchmark]:
    return benchmarks(DATA)


@pytest.fixture(scope="module")
def two_images(sets):
    return [read_image(sets["ccp_test"].pairs[0][0]), read_image(sets["davis"].pairs[0][0])]


def test_benchmark_sets(sets):
    assert {n: len(b.pairs) for n, b in sets.items()} == {
        "ccp_test": 200,
        "davis": 119,
        "davis_clean": 72,
        "web_people": 290,
        "indoor_closeup": 200,
        "cihp_sample": 5,
    }


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_method_returns_valid_alpha_or_says_why(name, two_images):
    method = METHODS[name]
    try:
        method.load()
    except MethodUnavailable as err:
        # our own models always run here; the best tier needs rembg's U²-Net file, and says so when it is missing
        assert not name.startswith("ours") or "u2net.onnx" in str(err), err
        assert len(str(err)) > 15  # a reason a reader can act on
        return
    try:
        for rgb in two_images:
            alpha = method.predict(rgb)
            assert alpha.shape == rgb.shape[:2] and alpha.dtype == np.float32
            assert alpha.min() >= 0.0 and alpha.max() <= 1.0 and alpha.max() > alpha.min()
    finally:
        method.close()


def test_a_run_with_mediapipe_exits_without_a_traceback(tmp_path):
    """``run`` closes every method: a MediaPipe segmenter left open prints a TypeError traceback
    when the interpreter exits."""
    pytest.importorskip("mediapipe")
    code = (
        "from pathlib import Path; from bgremover_leaderboard.datasets import benchmarks;"
        "from bgremover_leaderboard.harness import run;"
        "from bgremover_leaderboard.methods import all_methods;"
        f"sets = benchmarks({str(DATA)!r}); out = Path({str(tmp_path)!r});"
        "methods = {'mediapipe_selfie': all_methods()['mediapipe_selfie']};"
        "run(methods, {'cihp_sample': sets['cihp_sample']}, out, limit=1)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "mediapipe_selfie" in done.stdout and "IoU" in done.stdout
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr[-2000:]


def test_u2netp_runs_through_the_generic_onnx_adapter(two_images):
    method = METHODS["u2netp"]
    method.load()
    assert method.predict(two_images[0]).mean() > 0.05


# a peer whose weights are in no weights folder and have no public download
PRIVATE_PEER = OnnxPeer(OnnxPeerSpec("private", "private.onnx", None, (64, 64), (0.5,) * 3, (0.5,) * 3))


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory, sets):
    folder = tmp_path_factory.mktemp("results")
    small = {"ccp_test": sets["ccp_test"]}
    run(
        {**{n: METHODS[n] for n in ("watershed", "u2netp")}, "private": PRIVATE_PEER},
        small,
        folder,
        limit=2,
        log=lambda *_: None,
    )
    return folder


def test_results_schema(results_dir):
    document = load_results(results_dir)["ccp_test"]
    validate(document)
    private = document["results"]["private"]
    assert private["available"] is False and "private.onnx not found and it has no public download" in private["reason"]
    assert document["results"]["u2netp"]["count"] == 2
    table, framing = (results_dir / "README.md").read_text().split("## IoU by framing")
    assert table.count("| u2netp |") == 1 and framing.count("| u2netp |") == 1  # its row in each table
    broken = json.loads(json.dumps(document))
    del broken["results"]["u2netp"]["latency_ms"]
    with pytest.raises(SchemaError, match="latency_ms"):
        validate(broken)


def test_committed_results_are_valid():
    documents = load_results()
    assert {"ccp_test", "davis", "davis_clean", "web_people", "indoor_closeup", "cihp_sample"} <= set(documents)
    for document in documents.values():
        assert document["results"]["ours"]["available"]
        assert set(METHODS) <= set(document["results"]), "every method has a row (or says why it is unavailable)"


def test_check_passes_then_fails_on_a_tampered_number(results_dir, sets):
    methods = {n: METHODS[n] for n in ("watershed", "u2netp")}
    assert check(methods, sets, sample=2, folder=results_dir, log=lambda *_: None) == []
    path = results_dir / "ccp_test.json"
    document = json.loads(path.read_text())
    stem = next(iter(document["results"]["u2netp"]["per_image"]))
    document["results"]["u2netp"]["per_image"][stem]["iou"] += 0.05
    path.write_text(json.dumps(document))
    problems = check(methods, sets, sample=2, folder=results_dir, log=lambda *_: None)
    assert len(problems) == 1 and "u2netp" in problems[0] and "iou" in problems[0]
    document["checksum"] = "0" * 64  # results of other images than the set's
    path.write_text(json.dumps(document))
    problems = check(methods, sets, sample=2, folder=results_dir, log=lambda *_: None)
    assert any("ccp_test: results were measured on other images" in p for p in problems)


def test_committed_results_record_every_photos_framing_and_the_table_pools_them():
    from bgremover_leaderboard.report import by_framing

    documents = load_results()
    for name in ("ccp_test", "davis", "web_people", "indoor_closeup"):
        assert len(documents[name]["framing"]) == documents[name]["images"], name
    counts, table = by_framing(documents)
    assert sum(counts.values()) == 200 + 119 + 72 + 290 + 200
    rows = {row[0]: row[1:] for row in table}
    assert set(METHODS) - set(rows) <= {m for m, r in documents["web_people"]["results"].items() if not r["available"]}
    assert all(0.0 <= v <= 1.0 for row in rows.values() for v in row)


def test_run_evaluates_an_extra_model_folder_by_name(tmp_path, tiny_model_dir):
    from bgremover_leaderboard.__main__ import main

    argv = ["run", "--results", str(tmp_path), "--data-dir", str(DATA), "--datasets", "cihp_sample", "--limit", "1"]
    assert main([*argv, "--methods", "ours:tiny", "--model", f"tiny={tiny_model_dir}"]) == 0
    row = load_results(tmp_path)["cihp_sample"]["results"]["ours:tiny"]
    assert row["count"] == 1 and 0 <= row["mean"]["iou"] <= 1 and row["resolution"] == "long side 512"
    settings = ["--model-size", "96", "--model-backend", "onnx"]
    assert main([*argv, "--methods", "ours:tiny", "--model", f"tiny={tiny_model_dir}", *settings]) == 0
    row = load_results(tmp_path)["cihp_sample"]["results"]["ours:tiny"]
    assert row["resolution"] == "long side 96, ONNX Runtime" and 0 <= row["mean"]["iou"] <= 1
    subject = ["--model-subject", "all"]
    assert main([*argv, "--methods", "ours:tiny", "--model", f"tiny={tiny_model_dir}", *subject]) == 0
    assert load_results(tmp_path)["cihp_sample"]["results"]["ours:tiny"]["resolution"].endswith(", every person")
    with pytest.raises(SystemExit):
        main([*argv, "--model", "no-equals-sign"])


def test_tab_charts_are_scaled_to_the_data_and_readable():
    from bgremover_leaderboard.report import load_results
    from bgremover_leaderboard.tab import bar_chart, environment_line, latency_scatter

    document = load_results()["ccp_test"]
    available = [r for r in document["results"].values() if r["available"]]
    bars = bar_chart(document, "iou")
    values = list(bars.data[0].x)
    assert values == sorted(values)  # horizontal bars: the best is drawn at the top
    low, high = bars.layout.xaxis.range
    assert min(values) - 0.1 < low < min(values) and high > max(values) and (low, high) != (0, 1)
    scatter = latency_scatter(document)
    assert sorted(trace.name for trace in scatter.data) == sorted(r["method"] for r in available)
    assert all(trace.mode == "markers" for trace in scatter.data)  # names in the legend and on hover, not overlapping
    assert environment_line(document["environment"]).startswith(
        f"Measured on {document['environment']['cpu']}, 2 threads"
    )


def test_committed_results_reproduce_on_a_sample(sets):
    """The committed numbers come back when the first photo of every set is measured again: the fp32
    methods within :data:`TOLERANCE` on any x86 CPU, the default (OpenVINO: bf16 on AMD EPYC and on
    Intel with AMX, fp32 elsewhere) within :data:`RUNTIME_TOLERANCE`, and the log says which is which."""
    names = ("ours", "ours:pytorch-fp32", "ours+flip", "u2netp", "watershed")
    lines = []
    problems = check({n: METHODS[n] for n in names}, sets, sample=1, log=lines.append)
    assert problems == []
    assert any(line.startswith("checked davis/ours:pytorch-fp32") and "fp32, within 0.002" in line for line in lines)
    assert any(line.startswith("checked davis/ours on") and "runtime-dependent" in line for line in lines)


def test_the_check_catches_a_moved_number_in_each_kind(sets, tmp_path):
    """A committed number moved by more than its tolerance is reported: by 0.005 for an fp32 method,
    by 0.05 for a runtime-dependent one; the same shift inside the runtime tolerance is not."""
    document = json.loads((RESULTS_DIR / "davis.json").read_text())
    stem = next(iter(document["results"]["ours"]["per_image"]))
    document["results"] = {k: document["results"][k] for k in ("ours", "ours:pytorch-fp32")}
    document["results"]["ours"]["per_image"][stem]["iou"] += 0.05
    document["results"]["ours:pytorch-fp32"]["per_image"][stem]["iou"] += 0.005
    (tmp_path / "davis.json").write_text(json.dumps(document))
    methods = {n: METHODS[n] for n in ("ours", "ours:pytorch-fp32")}
    problems = check(methods, {"davis": sets["davis"]}, sample=1, folder=tmp_path, log=lambda *_: None)
    assert sorted(p.split(": ")[0] for p in problems) == [f"davis/ours/{stem}", f"davis/ours:pytorch-fp32/{stem}"]
    assert all(" iou committed " in p for p in problems)
    document["results"]["ours"]["per_image"][stem]["iou"] -= 0.035  # 0.015 off: inside the runtime tolerance
    document["results"]["ours:pytorch-fp32"]["per_image"][stem]["iou"] -= 0.005
    (tmp_path / "davis.json").write_text(json.dumps(document))
    assert check(methods, {"davis": sets["davis"]}, sample=1, folder=tmp_path, log=lambda *_: None) == []


class WatershedWithoutItsPackage(METHODS["watershed"].__class__):
    """The watershed method on a machine where its package is missing."""

    def load(self) -> None:
        raise MethodUnavailable("package opencv is not installed (pip install opencv-python-headless)")


def test_a_method_unavailable_now_keeps_its_earlier_result_on_the_same_images(tmp_path, sets):
    small = {"cihp_sample": sets["cihp_sample"]}
    run({"watershed": METHODS["watershed"]}, small, tmp_path, limit=2, log=lambda *_: None)
    measured = json.loads((tmp_path / "cihp_sample.json").read_text())
    lines = []
    now = {"watershed": WatershedWithoutItsPackage(), "private": PRIVATE_PEER}
    run(now, small, tmp_path, limit=2, log=lines.append)
    document = json.loads((tmp_path / "cihp_sample.json").read_text())
    kept = document["results"]["watershed"]
    assert kept["per_image"] == measured["results"]["watershed"]["per_image"] and kept["available"]
    assert kept["measured"] == measured["environment"]["date"]
    assert "opencv is not installed" in lines[0] and "kept its result of" in lines[0]
    assert document["results"]["private"]["available"] is False  # never measured: says why
    validate(document)


def test_card_recipe_names_real_closeups_and_the_teacher_settings():
    lines = recipe_extras({"real_closeup_p": 0.5, "teacher": "default", "w_distill": 1.0, "distill_temperature": 2.0})
    assert lines[0] == (
        "- Real close-ups: 50% of the real photos (those not composited) cropped, not resampled, "
        "to a head-and-shoulders close-up of their person."
    )
    assert lines[1].endswith("teacher run on the same batches.")  # runs before the teacher knobs
    assert recipe_extras({"real_closeup_p": 0.0}) == []


def test_a_card_lists_only_methods_measured_somewhere():
    from bgremover_leaderboard.card import methods_in

    results = {
        "a": {"results": {"ours": {"available": True}, "never": {"available": False}, "once": {"available": False}}},
        "b": {"results": {"ours": {"available": True}, "never": {"available": False}, "once": {"available": True}}},
    }
    assert methods_in(results) == ["ours", "once"]
