"""``bgremover cut --engine ray`` on a real two-node Ray cluster on this machine (loopback only, no
dashboard): the outputs equal the plain CLI's, corrupt photos land in the failures manifest, a rerun
resumes, a node killed mid-run loses nothing, and a Parquet of masks holds the same masks."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bgremover.batch import cut_files
from tests.golden import photo_paths

ray = pytest.importorskip("ray", reason="Ray is the [ray] extra (requirements-dev.txt installs it)")
from ray.cluster_utils import Cluster  # noqa: E402

N_GOOD = 197
CORRUPT = {"broken.jpg": b"\xff\xd8 this is not a jpeg", "empty.png": b"", "a/truncated.jpg": None}
MODEL = "fast"  # the fast tier: the same network and code path as the default, four times quicker


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """197 small real photos (crops of the committed examples) in a tree, plus 3 that cannot be read."""
    folder = tmp_path_factory.mktemp("ray_photos")
    rng = np.random.default_rng(0)
    sources = [np.asarray(Image.open(p).convert("RGB")) for p in photo_paths()]
    for i in range(N_GOOD):
        image = sources[i % len(sources)]
        height, width = image.shape[:2]
        size = int(rng.integers(min(height, width) // 3, min(height, width)))
        top, left = int(rng.integers(0, height - size)), int(rng.integers(0, width - size))
        crop = Image.fromarray(image[top : top + size, left : left + size]).resize((96, int(rng.integers(72, 128))))
        target = (
            folder / ("a" if i % 3 == 0 else "b/c" if i % 3 == 1 else ".") / f"photo{i:03d}.{('jpg', 'png')[i % 2]}"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        crop.save(target)
    for name, data in CORRUPT.items():
        if data is None:  # a real JPEG cut after 200 bytes
            data = (folder / "a" / "photo000.jpg").read_bytes()[:200]
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def plain(photos, tmp_path_factory) -> tuple[Path, list]:
    """The plain CLI's outputs and failures for the same photos."""
    out = tmp_path_factory.mktemp("plain") / "out"
    failures = cut_files([str(photos)], out, MODEL)
    return out, failures


@pytest.fixture(scope="module")
def cluster():
    """A head that runs no model and two nodes with one CPU each, all bound to 127.0.0.1, no dashboard:
    every photo is cut on a node the test may kill."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    local = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False},
    )
    nodes = [local.add_node(num_cpus=1, node_ip_address="127.0.0.1") for _ in range(2)]
    local.wait_for_nodes()
    yield local, nodes
    local.shutdown()


def cutting_on(node) -> bool:
    """Whether a model actor on ``node`` is cutting a batch now (Ray names its process by the call)."""
    import psutil

    raylet = psutil.Process(node.all_processes["raylet"][0].process.pid)
    titles = []
    for child in raylet.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            titles.append(" ".join(child.cmdline()))
    return any("MapWorker" in title and ".submit" in title for title in titles)


def run_cli(*args: str, wait: bool = True):
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    command = [sys.executable, "-m", "bgremover", "cut", *args]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def alpha(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).getchannel("A") if Image.open(path).mode == "RGBA" else Image.open(path))


def outputs(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in folder.rglob("*.png")}


def manifest(folder: Path) -> dict[str, str]:
    with open(folder / "_failures.csv", newline="") as stream:
        return {row["path"]: row["error"] for row in csv.DictReader(stream)}


def assert_same_as_plain(out: Path, plain_out: Path) -> None:
    got, want = outputs(out), outputs(plain_out)
    assert sorted(got) == sorted(want) and len(want) == N_GOOD
    for name, path in want.items():
        a, b = alpha(got[name]).astype(int), alpha(path).astype(int)
        assert a.shape == b.shape and np.abs(a - b).max() <= 1, name
    assert not list(out.rglob("*.partial")), "half-written files left behind"


def test_ray_outputs_equal_the_plain_cli_and_failures_are_listed(photos, plain, cluster, tmp_path):
    local, _ = cluster
    plain_out, plain_failures = plain
    out = tmp_path / "cutouts"
    done = run_cli(str(photos), "-o", str(out), "--engine", "ray", "--address", local.address, "--model", MODEL)
    assert done.returncode == 1, done.stderr[-3000:]  # three photos failed
    assert f"{N_GOOD} images written to {out}" in done.stdout
    assert_same_as_plain(out, plain_out)
    listed = manifest(out)
    assert sorted(listed) == sorted(str(photos / name) for name in CORRUPT)
    assert listed == {str(path): reason for path, reason in plain_failures}  # the plain CLI's own words
    assert all(str(photos / name) in done.stderr for name in CORRUPT)

    stamps = {name: p.stat().st_mtime_ns for name, p in outputs(out).items()}
    again = run_cli(str(photos), "-o", str(out), "--engine", "ray", "--address", local.address, "--model", MODEL)
    assert f"0 images written to {out}, {N_GOOD} already there; 3 failed" in again.stdout, again.stderr[-2000:]
    assert {name: p.stat().st_mtime_ns for name, p in outputs(out).items()} == stamps  # nothing rewritten


def test_parquet_of_masks_holds_the_plain_cli_masks(photos, plain, cluster, tmp_path):
    import pyarrow.dataset as ds

    local, _ = cluster
    plain_out, _ = plain
    folder = photos / "b"  # a subtree without corrupt photos, named as a URI (as s3://... would be)
    target = tmp_path / "masks.parquet"
    uri = f"file://{folder}"
    done = run_cli(uri, "-o", f"file://{target}", "--engine", "ray", "--address", local.address, "--model", MODEL)
    count = len(list(folder.rglob("photo*")))
    assert done.returncode == 0 and f"{count} images written" in done.stdout, done.stderr[-3000:]
    table = ds.dataset(target, format="parquet").to_table().to_pylist()
    assert len(table) == count and not any(row["error"] for row in table)
    for row in table:
        mask = np.asarray(Image.open(io.BytesIO(row["alpha_png"]))).astype(int)
        assert mask.shape == (row["height"], row["width"])
        assert np.abs(mask - alpha(plain_out / "b" / row["relative"]).astype(int)).max() <= 1, row["relative"]
    assert {row["path"] for row in table} == {f"file://{p}" for p in folder.rglob("photo*")}
    again = run_cli(uri, "-o", f"file://{target}", "--engine", "ray", "--address", local.address, "--model", MODEL)
    assert f"0 images written to file://{target}, {count} already there" in again.stdout, again.stderr[-2000:]
    assert len(ds.dataset(target, format="parquet").to_table()) == count  # nothing appended twice


def test_a_node_killed_mid_run_loses_nothing(photos, plain, cluster, tmp_path):
    """Runs last in this module: it takes a node away while its actor is cutting."""
    local, nodes = cluster
    plain_out, _ = plain
    out = tmp_path / "cutouts"
    job = run_cli(
        str(photos), "-o", str(out), "--engine", "ray", "--address", local.address, "--model", MODEL,
        "--actors", "2", "--batch-size", "2", wait=False,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    victim = None
    while victim is None and job.poll() is None and time.monotonic() < deadline:
        victim = next((node for node in nodes if cutting_on(node)), None)
        time.sleep(0.1)
    assert victim is not None, "no node was seen cutting before the job ended"
    before = len(outputs(out))
    local.remove_node(victim)
    stdout, stderr = job.communicate(timeout=600)
    assert job.returncode == 1, stderr[-3000:]
    assert before < N_GOOD  # the node died with work left
    assert_same_as_plain(out, plain_out)  # every photo once, none half-written
    assert sorted(manifest(out)) == sorted(str(photos / name) for name in CORRUPT)
    written = re.search(r"(\d+) images written to \S+(?:, (\d+) already there)?; 3 failed", stdout)
    assert written and int(written[1]) + int(written[2] or 0) == N_GOOD, stdout  # a retried batch counts once
