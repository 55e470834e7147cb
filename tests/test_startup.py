"""A command that cuts photos on ONNX Runtime or OpenVINO never imports torch (about 2 s and 500 MB of a
command's start): every shipped tier, in a new interpreter where importing torch fails; nor does the
app's code until a PyTorch model is asked for."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from bgremover import WeightsUnavailableError
from bgremover.fusion import load_fused
from bgremover.pretrained import pretrained_model
from bgremover.runtimes import cuda_available, nvidia_driver, onnx_file
from tests.cli import Terminal, run_cli
from tests.conftest import REPO

PHOTO = REPO / "bgremover_app" / "examples" / "hands_raised_charades.jpg"  # committed, credited

# the start of a new interpreter in which any import of torch raises
WITHOUT_TORCH = """
import sys

class NoTorch:
    tried = []  # every attempt, also one that a caller's `except ImportError` would hide

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision", "timm"):
            NoTorch.tried.append(name)
            raise ImportError(f"{name} imported on a path that must not need it")

sys.meta_path.insert(0, NoTorch())
"""
CLI = (  # the command; it fails if torch was even tried
    "from bgremover.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.exit(f'torch tried: {NoTorch.tried}' if NoTorch.tried else code)"
)


def without_torch(code: str, *args: str) -> subprocess.CompletedProcess:
    """``code`` run with ``args`` in a new interpreter that cannot import torch."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH + code, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )


def cut_without_torch(*args: str) -> subprocess.CompletedProcess:
    return without_torch(CLI, *args)


def test_cuda_available_answers_as_torch_does():
    """In this process (torch imported) and in a new one, where torch is imported only if the NVIDIA
    driver is there to ask about."""
    assert cuda_available() == torch.cuda.is_available()
    code = "from bgremover.runtimes import cuda_available\nprint(cuda_available(), 'torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    answer, imported = result.stdout.split()
    assert answer == str(torch.cuda.is_available())
    assert imported == str(nvidia_driver())


@pytest.mark.parametrize(
    "tier, backend", [("default", "onnx"), ("fast", "openvino"), ("best", "onnx"), ("fast-plus", "openvino")]
)
def test_a_tier_on_an_exported_runtime_cuts_without_torch(tier, backend, tmp_path):
    spec = pretrained_model(tier)
    if spec.fused:
        try:
            load_fused(spec.folder, backend=backend)  # the peer's file is here (else skip), the base exported
        except WeightsUnavailableError as err:
            pytest.skip(f"{tier}'s peer file is not here ({err})")
    else:
        onnx_file(tier)  # the export itself needs torch; it runs once and is cached
    args = ["cut", str(PHOTO), "--model", tier, "--backend", backend, "-o"]
    alone = cut_without_torch(*args, str(tmp_path / "alone.png"))
    assert alone.returncode == 0, alone.stderr
    assert run_cli(*args, str(tmp_path / "with_torch.png")).returncode == 0
    cut = np.asarray(Image.open(tmp_path / "alone.png"))
    assert cut.shape[2] == 4 and 0 < (cut[..., 3] > 127).mean() < 1  # a person cut out, not a blank or a full frame
    np.testing.assert_array_equal(cut, np.asarray(Image.open(tmp_path / "with_torch.png")))


def test_the_torch_backend_still_needs_torch_and_says_so(tmp_path):
    """The check above can fail: the same interpreter refuses the PyTorch backend."""
    out = str(tmp_path / "a.png")
    result = cut_without_torch("cut", str(PHOTO), "--model", "fast", "--backend", "torch", "-o", out)
    assert result.returncode != 0
    assert "imported on a path that must not need it" in result.stderr


def test_the_app_its_leaderboard_tab_and_its_monitor_run_without_torch():
    code = (
        "import bgremover_app.app, bgremover_leaderboard.tab, bgremover.metrics, numpy\n"
        "from bgremover.serve.monitor import Monitor\n"
        "monitor = Monitor(None)\n"
        "monitor.record(numpy.zeros((64, 48, 3), 'uint8'), numpy.ones((64, 48), 'float32'), 12.0)\n"
        "print(monitor.summary()['requests'], NoTorch.tried)"
    )
    result = without_torch(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "[]"]


def test_the_first_run_says_it_exports_the_model_once(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("BGREMOVER_CACHE", str(tmp_path / "cache"))
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    path = onnx_file(tiny_model_dir)
    assert path.is_file() and path.parent == tmp_path / "cache" / "onnx"
    said = terminal.getvalue().splitlines()[0]
    assert said == f"bgremover: exporting {tiny_model_dir.name} to ONNX, once (cached in {path.parent})"
    assert onnx_file(tiny_model_dir) == path
    assert terminal.getvalue().count("exporting") == 1  # the cached file is used without a word
