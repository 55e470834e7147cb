"""``bgremover average-weights``: a weight average of model folders and training checkpoints."""

from __future__ import annotations

import subprocess

import pytest
import torch

from bgremover import create_model
from bgremover.hub import load_network, run_config, set_run_config
from bgremover.run_config import RunConfig
from tests.cli import run_cli

TINY_NET = dict(encoder_name="resnet18", encoder_weights=None, decoder_channels=(16, 8, 8, 8, 8))


def filled(folder, value: float, **settings):
    """A tiny model folder whose floating-point weights are all ``value``."""
    model = create_model(**{**TINY_NET, **settings})
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.fill_(value)
    model.save_pretrained(folder)
    return model


def average(*args: str) -> subprocess.CompletedProcess:
    return run_cli("average-weights", *args)


def test_weighted_average_of_a_folder_and_a_run_checkpoint(tmp_path):
    filled(tmp_path / "a", 1.0)
    set_run_config(tmp_path / "a", RunConfig(256, square=True, backend="auto"))
    run = tmp_path / "run"
    filled(run / "best", 0.0)  # the run's best/ gives the architecture, its last.pt the weights
    checkpoint = filled(tmp_path / "b", 3.0).state_dict()
    torch.save({"model": checkpoint, "step": 7}, run / "last.pt")
    done = average(str(tmp_path / "a"), str(run / "last.pt"), "--weights", "3", "1", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr[-2000:]
    state = load_network(tmp_path / "out").state_dict()
    floats = [value for value in state.values() if value.is_floating_point()]
    assert floats and all(torch.allclose(value, torch.full_like(value, 1.5)) for value in floats)  # (3·1 + 1·3) / 4
    run_block = run_config(tmp_path / "out")  # the first source's
    assert (run_block.working_size, run_block.square, run_block.backend) == (256, True, "auto")


def test_a_run_checkpoint_with_a_moving_average_gives_the_average(tmp_path):
    run = tmp_path / "run"
    filled(run / "best", 0.0)
    raw, ema = filled(tmp_path / "raw", 5.0).state_dict(), filled(tmp_path / "ema", 2.0).state_dict()
    torch.save({"model": raw, "ema": ema}, run / "last.pt")
    done = average(str(run / "last.pt"), str(run / "last.pt"), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr[-2000:]
    values = [v for v in load_network(tmp_path / "out").state_dict().values() if v.is_floating_point()]
    assert all(torch.allclose(value, torch.full_like(value, 2.0)) for value in values)


@pytest.mark.parametrize("problem", ["architecture", "checkpoint"])
def test_mismatched_or_missing_sources_are_refused_in_plain_words(tmp_path, problem):
    filled(tmp_path / "a", 1.0)
    if problem == "architecture":
        filled(tmp_path / "b", 1.0, decoder_channels=(16, 16, 8, 8, 8))
        other, expected = str(tmp_path / "b"), "is not the architecture of"
    else:
        other, expected = str(tmp_path / "nowhere" / "last.pt"), "not a training checkpoint"
    done = average(str(tmp_path / "a"), other, "-o", str(tmp_path / "out"))
    assert done.returncode != 0 and expected in done.stderr and not (tmp_path / "out").exists()


def test_an_existing_output_folder_is_never_overwritten(tmp_path):
    filled(tmp_path / "a", 1.0)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    done = average(str(tmp_path / "a"), str(tmp_path / "a"), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "bgremover: error: " in done.stderr and "exists; choose a new folder" in done.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]
