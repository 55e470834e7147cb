"""Training end to end on a handful of real CCP images at tiny sizes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from bgremover.data import read_split
from bgremover.decoders.attention_unet import AttentionUNet
from bgremover.deploy.prune import prune_report
from bgremover.hub import load_network
from bgremover.train import TrainConfig, Trainer
from bgremover.train.checkpoint import load_checkpoint
from bgremover.train.logging import read_jsonl
from bgremover.train.precision import cpu_has_bf16_kernels
from bgremover.weights import load_state_dict
from tests.conftest import CCP, REPO, TINY


@pytest.fixture(scope="module")
def split_file(tmp_path_factory) -> Path:
    """A 12-image training split (9 train + 3 validation after the hold-out)."""
    path = tmp_path_factory.mktemp("split") / "tiny.txt"
    path.write_text("\n".join(read_split(CCP / "splits" / "trainval.txt")[:12]) + "\n")
    return path


def tiny_config(tmp_path: Path, split_file: Path, **overrides) -> TrainConfig:
    return TrainConfig(**{**TINY, "split": str(split_file), "out_dir": str(tmp_path / "run"), **overrides})


def cli_args(config: TrainConfig) -> list[str]:
    """The command-line flags that give ``config`` (the compositor's knobs through their flat flags)."""
    from bgremover.train.config import flat_config

    args = []
    for key, value in flat_config(config.to_dict()).items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + key.replace("_", "-"))
        elif isinstance(value, tuple | list):
            args += [flag, *map(str, value)]
        else:
            args += [flag, "none" if value is None else str(value)]
    return args


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def test_train_writes_loadable_checkpoints_logs_and_plot(tmp_path, split_file):
    config = tiny_config(tmp_path, split_file, epochs=2, keep_epochs=True)
    values = Trainer(config).fit()
    run = Path(config.out_dir)
    assert 0.0 <= values["iou"] <= 1.0 and "boundary_f" in values and "ssim" in values
    model = AttentionUNet.from_pretrained(run / "best").eval()
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 1, 64, 64)
    state = load_checkpoint(run / "last.pt")
    assert state["epoch"] == 2 and state["step"] == 8  # 9 train images, batch 2, drop_last
    assert json.loads((run / "config.json").read_text())["image_size"] == 64
    assert len(read_jsonl(run / "epochs.jsonl")) == 2 and (run / "epochs.csv").read_text().startswith("epoch,step")
    assert (run / "curves.png").stat().st_size > 1000
    assert any((run / "tensorboard").iterdir())
    epochs = [load_state_dict(run / f"epoch-{n}" / "model.safetensors") for n in (1, 2)]
    best = load_state_dict(run / "best" / "model.safetensors")
    ious = [row["iou"] for row in read_jsonl(run / "epochs.jsonl")]
    assert any(not torch.equal(epochs[0][key], epochs[1][key]) for key in epochs[1])
    for key in state["model"]:  # epoch-2/ is the last weights; best/ the epoch of the higher IoU
        torch.testing.assert_close(epochs[1][key], state["model"][key], rtol=0, atol=0, msg=key)
        torch.testing.assert_close(best[key], epochs[int(ious[1] > ious[0])][key], rtol=0, atol=0, msg=key)


@pytest.mark.parametrize("ema_decay", [None, 0.9])
def test_resume_continues_exactly(tmp_path, split_file, ema_decay):
    straight = tiny_config(tmp_path / "a", split_file, epochs=2, max_steps=6, ema_decay=ema_decay)
    Trainer(straight).fit()
    halves = tiny_config(tmp_path / "b", split_file, epochs=2, max_steps=3, ema_decay=ema_decay)
    Trainer(halves).fit()
    resumed = tiny_config(tmp_path / "b", split_file, epochs=2, max_steps=6, resume=True, ema_decay=ema_decay)
    Trainer(resumed).fit()
    a = load_checkpoint(Path(straight.out_dir) / "last.pt")
    b = load_checkpoint(Path(resumed.out_dir) / "last.pt")
    assert a["step"] == b["step"] == 6
    assert ("ema" in a) == ("ema" in b) == (ema_decay is not None)
    for part in ("model", "ema") if ema_decay else ("model",):
        for key in a[part]:
            torch.testing.assert_close(a[part][key], b[part][key], rtol=1e-5, atol=1e-6, msg=f"{part}.{key}")


def test_moving_average_of_the_weights_is_what_is_validated_and_saved(tmp_path, split_file):
    decay = 0.75
    one = tiny_config(tmp_path / "one", split_file, epochs=1, max_steps=1, ema_decay=decay)
    Trainer(one).fit()
    two = tiny_config(tmp_path / "two", split_file, epochs=1, max_steps=2, ema_decay=decay)
    Trainer(two).fit()
    first, second = load_checkpoint(Path(one.out_dir) / "last.pt"), load_checkpoint(Path(two.out_dir) / "last.pt")
    best = load_state_dict(Path(two.out_dir) / "best" / "model.safetensors")
    floats = [key for key, value in second["model"].items() if value.is_floating_point()]
    assert any(not torch.equal(second["ema"][key], second["model"][key]) for key in floats)
    for key in floats:
        torch.testing.assert_close(first["ema"][key], first["model"][key], msg=key)  # the first step copies
        expected = decay * first["model"][key] + (1 - decay) * second["model"][key]
        torch.testing.assert_close(second["ema"][key], expected, rtol=1e-5, atol=1e-6, msg=key)
        torch.testing.assert_close(best[key], second["ema"][key], msg=key)  # best/ holds the average


def test_amp_trains_in_the_autocast_type_the_run_records(tmp_path, split_file):
    """bf16 on a CPU with bf16 kernels (the weights move off fp32's); elsewhere plain fp32, bit for bit."""
    weights = {}
    for amp in (False, True):
        config = tiny_config(
            tmp_path / str(amp), split_file, epochs=1, max_steps=2, scales=(64,), w_perceptual=0.0, amp=amp
        )
        Trainer(config).fit()
        weights[amp] = load_checkpoint(Path(config.out_dir) / "last.pt")["model"]
    environment = json.loads((tmp_path / "True" / "run" / "environment.json").read_text())
    recorded = environment["autocast"]
    on_cpu = "bfloat16" if cpu_has_bf16_kernels() else None
    assert recorded == ("float16" if environment["device"].startswith("cuda") else on_cpu)
    assert json.loads((tmp_path / "False" / "run" / "environment.json").read_text())["autocast"] is None
    identical = all(torch.equal(weights[False][key], weights[True][key]) for key in weights[True])
    assert identical == (recorded is None)


def test_moving_average_decay_outside_the_unit_interval_is_refused():
    with pytest.raises(ValueError, match="ema_decay must be in"):
        TrainConfig(ema_decay=1.0)


def test_teacher_scale_must_be_positive():
    with pytest.raises(ValueError, match="teacher_scale must be positive"):
        TrainConfig(teacher_scale=0.0)


def test_sigkill_mid_epoch_then_resume(tmp_path, split_file):
    config = tiny_config(tmp_path, split_file, epochs=50, checkpoint_every=2, scales=(96,))
    command = [sys.executable, "-m", "bgremover", "train", *cli_args(config)]
    process = subprocess.Popen(command, env=env(), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = Path(config.out_dir) / "last.pt"
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if last.exists() and load_checkpoint(last)["step"] >= 6:
            break
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    state = load_checkpoint(last)  # intact after the kill, even one in the middle of a save
    step = state["step"]
    assert step >= 6
    target = step + 3
    resume = subprocess.run(
        [*command, "--resume", "--max-steps", str(target)],
        env=env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resume.returncode == 0, resume.stderr[-2000:]
    assert load_checkpoint(last)["step"] == target
    assert not list(Path(config.out_dir).glob(".last.pt.*.tmp"))  # a save the kill cut short is cleared away
    steps = [r["step"] for r in read_jsonl(Path(config.out_dir) / "steps.jsonl")]
    assert steps == sorted(set(steps)) and steps[-1] == target  # continued, no step logged twice


def test_a_resumed_run_clears_the_temporary_file_of_a_save_that_was_killed(tmp_path, split_file):
    first = Trainer(tiny_config(tmp_path, split_file, epochs=1, checkpoint_every=1, max_steps=1))
    first.fit()
    last = first.out_dir / "last.pt"
    kept = last.read_bytes()
    stale = first.out_dir / ".last.pt.k3u28prx.tmp"  # what atomic_save leaves when killed mid-write
    stale.write_bytes(kept[: len(kept) // 2])
    other = first.out_dir / "notes.tmp"  # not one of its files: left alone
    other.write_text("mine")
    resumed = Trainer(tiny_config(tmp_path, split_file, epochs=1, checkpoint_every=1, max_steps=1, resume=True))
    assert not stale.exists() and other.read_text() == "mine"
    assert last.read_bytes() == kept and resumed.step == load_checkpoint(last)["step"]


def test_resume_after_stop_between_last_batch_and_its_validation_logs_each_epoch_once(tmp_path, split_file):
    first = Trainer(tiny_config(tmp_path, split_file, epochs=2, checkpoint_every=1))
    first.train_epoch()  # the checkpoint of the epoch's last batch is written here, before validation
    first.validate()  # logged, then the process stops before the epoch-end checkpoint
    assert [r["epoch"] for r in read_jsonl(first.out_dir / "epochs.jsonl")] == [0]
    Trainer(tiny_config(tmp_path, split_file, epochs=2, checkpoint_every=1, resume=True)).fit()
    assert [r["epoch"] for r in read_jsonl(first.out_dir / "epochs.jsonl")] == [0, 1]


def test_torchrun_two_processes_keep_identical_weights(tmp_path, split_file):
    config = tiny_config(tmp_path, split_file, epochs=1, max_steps=3, scales=(64,))
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "bgremover",
        "train",
        *cli_args(config),
    ]
    result = subprocess.run(command, env=env(), cwd=REPO, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    replicas = json.loads((Path(config.out_dir) / "replicas.json").read_text())
    assert replicas == {"world_size": 2, "max_param_difference": 0.0}
    assert (Path(config.out_dir) / "best" / "model.safetensors").is_file()


def test_sanity_tools_via_cli(tmp_path, split_file):
    from bgremover.cli import main

    base = cli_args(tiny_config(tmp_path, split_file))
    assert main(["lr-range", *base, "--steps", "8"]) == 0
    assert main(["grad-flow", *base, "--steps", "2"]) == 0
    assert main(["overfit", *base, "--images", "2", "--steps", "2", "--target-iou", "1.01"]) == 1  # fails loudly
    for name in ("lr_range.png", "grad_flow.png", "overfit.png"):
        assert (tmp_path / "run" / name).stat().st_size > 1000


def test_overfit_four_real_images(tmp_path, split_file):
    """The real model (ImageNet EfficientNet-Lite0) and composite loss fit 4 CCP photos to IoU > 0.95."""
    from bgremover.train.sanity import overfit

    config = TrainConfig(
        data=str(CCP),
        split=str(split_file),
        image_size=128,
        lr=1e-3,
        amp=False,
        perceptual_size=None,
        out_dir=str(tmp_path),
    )
    report = overfit(config, n_images=4, steps=150)
    assert report.passed and report.iou > 0.95, (report.iou, report.losses[-5:])
    assert report.losses[-1] < report.losses[0] / 3


def test_cross_validation_two_folds(tmp_path, split_file):
    from bgremover.train.cv import cross_validate

    summary = cross_validate(tiny_config(tmp_path, split_file, epochs=1, max_steps=2), folds=2)
    assert len(summary["per_fold"]) == 2 and set(summary["mean"]) == set(summary["std"])
    assert (tmp_path / "run" / "cv.json").is_file() and "± " in (tmp_path / "run" / "cv.md").read_text()


def test_cross_validation_folds_run_separately_and_the_last_one_writes_the_summary(tmp_path, split_file):
    from bgremover.train.cv import cross_validate

    config = tiny_config(tmp_path, split_file, epochs=1, max_steps=1)
    assert cross_validate(config, folds=2, only=[1]) is None
    assert not (tmp_path / "run" / "cv.json").exists() and not (tmp_path / "run" / "fold_0").exists()
    summary = cross_validate(config, folds=2, only=[0])
    assert len(summary["per_fold"]) == 2 and (tmp_path / "run" / "cv.json").is_file()
    with pytest.raises(ValueError, match="fold 2"):
        cross_validate(config, folds=2, only=[2])


def test_an_smp_baseline_trains_with_the_same_pipeline(tmp_path, split_file):
    from bgremover.hub import load_network

    config = tiny_config(tmp_path, split_file, arch="deeplabv3plus", epochs=1, max_steps=2, scales=(64,))
    Trainer(config).fit()
    assert type(load_network(Path(config.out_dir) / "best")).__name__ == "SmpBaseline"


def test_pruned_fine_tune_starts_from_a_model_keeps_its_zeros_and_saves_plain_weights(tmp_path, split_file):
    start = tiny_config(tmp_path / "start", split_file, epochs=1, max_steps=1)
    Trainer(start).fit()
    init = load_state_dict(Path(start.out_dir) / "best" / "model.safetensors")
    config = tiny_config(
        tmp_path / "pruned",
        split_file,
        epochs=1,
        max_steps=3,
        init_from=str(Path(start.out_dir) / "best"),
        prune_amount=0.5,
    )
    trainer = Trainer(config)
    assert torch.equal(trainer.model.blocks[0].conv[0].weight_orig.detach(), init["blocks.0.conv.0.weight"])
    trainer.fit()
    saved = load_state_dict(Path(config.out_dir) / "best" / "model.safetensors")
    assert set(saved) == set(init)  # masks folded in, no weight_orig / weight_mask
    assert not torch.equal(saved["head.weight"], init["head.weight"])  # it was fine-tuned
    report = prune_report(load_network(Path(config.out_dir) / "best"))
    assert report["zeroed_channel_fraction"] == pytest.approx(0.5, abs=0.03)


def test_the_compositor_knobs_nest_in_the_training_config_with_one_default(tmp_path):
    import argparse

    from bgremover.composite_config import CompositeConfig
    from bgremover.errors import UsageError

    assert TrainConfig().composite == CompositeConfig()  # the recipe's defaults are the compositor's own
    flat = TrainConfig.from_dict({"composite_p": 0.6, "closeup_p": 0.3, "group_max": 7})
    nested = TrainConfig.from_dict({"composite": {"p": 0.6, "closeup_p": 0.3, "group_size": [2, 7]}})
    assert flat == nested and nested.composite.group_size == (2, 7) and nested.composite.empty_p == 0.1
    assert TrainConfig.from_dict(nested.to_dict()) == nested  # a run's config.json reads back
    with pytest.raises(UsageError, match=r"unknown config keys: composite\.closeup$"):
        TrainConfig.from_dict({"composite": {"closeup": 0.3}})

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("composite:\n  closeup_p: 0.3\n  real_closeup_p: 0.5\nepochs: 3\n")
    parser = argparse.ArgumentParser()
    TrainConfig.add_arguments(parser)
    args = parser.parse_args(
        ["--config", str(recipe), "--composite-p", "0.4", "--group-max", "6", "--closeup-p", "0.2"]
    )
    config = TrainConfig.from_args(args)
    assert (config.epochs, config.composite.p, config.composite.group_size) == (3, 0.4, (2, 6))
    assert (config.composite.closeup_p, config.composite.real_closeup_p) == (0.2, 0.5)  # the flag over the file


def test_hard_negatives_come_from_the_configured_folders(tmp_path, split_file):
    import cv2
    import numpy as np

    from bgremover.composite_config import CompositeConfig
    from bgremover.errors import UsageError
    from bgremover.train.builders import build_datasets

    objects, empty = tmp_path / "objects", tmp_path / "empty"
    for folder in (objects, empty):
        (folder / "images").mkdir(parents=True)
        (folder / "masks").mkdir()
    green = np.zeros((20, 30, 3), np.uint8)
    green[..., 1] = 255
    cv2.imwrite(str(objects / "images" / "chair.png"), cv2.cvtColor(green, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(objects / "masks" / "chair.png"), np.full((20, 30), 255, np.uint8))
    composite = CompositeConfig(p=1.0, negative_p=1.0)
    train, _ = build_datasets(tiny_config(tmp_path, split_file, negatives=(str(objects),), composite=composite))
    image, mask = train.transform.pre.negatives(np.random.default_rng(0))
    assert (image == green).all() and (mask == 1.0).all()
    assert build_datasets(tiny_config(tmp_path, split_file))[0].transform.pre.negatives is None  # none unless named
    with pytest.raises(UsageError, match="no objects"):
        build_datasets(tiny_config(tmp_path, split_file, negatives=(str(empty),), composite=composite))
