"""``bgremover download``: the shipped models' first-use downloads fetched ahead, from a real HTTP server
on 127.0.0.1 standing in for a company's mirror (``BGREMOVER_MIRROR``), checked by sha256."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from bgremover.peers import PEERS
from bgremover.prefetch import DOWNLOADED, PRESENT, SHIPPED, prefetch
from tests.cli import run_cli

SELFIE = PEERS["selfie"]


@pytest.fixture
def genuine_selfie() -> Path:
    """MediaPipe Selfie's published file, from this machine's cache or weights dir."""
    path = SELFIE.located()
    if path is None:
        pytest.skip(f"{SELFIE.file_name} is not on this machine: bgremover download fast-plus (or .ci/run) fetches it")
    return path


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A folder served over HTTP on 127.0.0.1 (the requests it answered are listed), an empty cache, no
    weights dir: (folder, requests, env for the CLI)."""
    folder, requests = tmp_path / "mirror", []
    folder.mkdir()

    class Counting(http.server.SimpleHTTPRequestHandler):
        def log_request(self, *args) -> None:  # once per answered request
            requests.append(self.path)

        def log_message(self, *args) -> None:  # nothing in the test's output
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Counting, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("BGREMOVER_WEIGHTS_DIR", raising=False)
    env = {
        "BGREMOVER_CACHE": str(tmp_path / "cache"),
        "BGREMOVER_MIRROR": f"http://127.0.0.1:{server.server_address[1]}/",
    }
    yield folder, requests, env
    server.shutdown()
    server.server_close()


def test_download_fetches_a_fused_tiers_peer_once_and_says_where_it_is(tmp_path, genuine_selfie, mirror):
    folder, requests, env = mirror
    shutil.copy(genuine_selfie, folder / SELFIE.file_name)
    before = run_cli("models", "fast-plus", **env)
    assert f"{SELFIE.file_name}, not fetched yet (bgremover download fast-plus)" in before.stdout

    first = run_cli("download", "fast-plus", "default", **env)
    cached = tmp_path / "cache" / SELFIE.file_name
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"fast-plus: {SELFIE.file_name} (0.2 MiB, sha256 checked), {DOWNLOADED}: {cached}",
        f"default: {SHIPPED}, nothing to fetch",
    ]
    assert cached.read_bytes() == genuine_selfie.read_bytes() and requests == [f"/{SELFIE.file_name}"]
    assert [p.name for p in cached.parent.iterdir()] == [SELFIE.file_name]  # no partial file left

    again = run_cli("download", "fast-plus", **env)
    assert again.returncode == 0 and f"{PRESENT}: {cached}" in again.stdout and len(requests) == 1
    assert f"{SELFIE.file_name} at {cached}" in run_cli("models", "fast-plus", **env).stdout


def test_download_refuses_a_file_without_the_published_checksum_and_keeps_nothing(tmp_path, mirror):
    folder, requests, env = mirror
    (folder / SELFIE.file_name).write_bytes(b"not the model")
    result = run_cli("download", "fast-plus", **env)
    assert result.returncode == 1 and result.stdout == "" and len(requests) == 1
    assert "does not have the published checksum" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_download_reports_an_unreachable_source_and_goes_on(tmp_path, mirror):
    _, requests, env = mirror
    result = run_cli("download", "fast-plus", "fast", **env)  # the mirror does not hold the file: 404
    assert result.returncode == 1
    assert result.stdout == f"fast: {SHIPPED}, nothing to fetch\n"
    assert f"download from {env['BGREMOVER_MIRROR']}{SELFIE.file_name} failed" in result.stderr
    assert "404" in result.stderr and requests == [f"/{SELFIE.file_name}"]


def test_a_file_in_the_weights_dir_is_used_where_it_lies(tmp_path, genuine_selfie, mirror, monkeypatch):
    _, requests, env = mirror
    (tmp_path / "weights" / "peers").mkdir(parents=True)
    shutil.copy(genuine_selfie, tmp_path / "weights" / "peers" / SELFIE.file_name)
    monkeypatch.setenv("BGREMOVER_WEIGHTS_DIR", str(tmp_path / "weights"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    [fetched] = prefetch(["fast-plus"])
    assert (fetched.how, fetched.path) == (PRESENT, tmp_path / "weights" / "peers" / SELFIE.file_name)
    assert requests == [] and not (tmp_path / "cache").exists()


def test_download_refuses_an_unknown_model_before_fetching_anything(mirror):
    _, requests, env = mirror
    result = run_cli("download", "fast-plus", "nope", **env)
    assert result.returncode == 2 and requests == []
    assert "no shipped model is called 'nope': best, default, fast, fast-plus" in result.stderr
