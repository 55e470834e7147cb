"""Run logging: JSONL/CSV, TensorBoard and the training-curve plot."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path


class RunLogger:
    """Writes step and epoch records to ``steps.jsonl``, ``epochs.jsonl``/``epochs.csv`` and TensorBoard.

    Only the main process should create an enabled logger.
    """

    def __init__(self, out_dir: str | os.PathLike, enabled: bool = True):
        self.out_dir = Path(out_dir)
        self.enabled = enabled
        self.writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out_dir / "tensorboard"))

    def _append(self, name: str, record: dict) -> None:
        with open(self.out_dir / name, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def truncate(self, step: int, validated_step: int) -> None:
        """Forget what a checkpoint did not see (work lost by a stop, redone after resuming).

        Step records after ``step`` and validation records after ``validated_step`` go: a checkpoint
        taken on an epoch's last batch precedes that epoch's validation, which the resumed run repeats.
        """
        if not self.enabled:
            return
        for name, last in (("steps.jsonl", step), ("epochs.jsonl", validated_step)):
            kept = [r for r in read_jsonl(self.out_dir / name) if r["step"] <= last]
            (self.out_dir / name).write_text("".join(json.dumps(r) + "\n" for r in kept))

    def step(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        self._append("steps.jsonl", {"step": step, **values})
        for key, value in values.items():
            self.writer.add_scalar(f"train/{key}", value, step)

    def epoch(self, epoch: int, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        record = {"epoch": epoch, "step": step, **values}
        self._append("epochs.jsonl", record)
        history = read_jsonl(self.out_dir / "epochs.jsonl")
        with open(self.out_dir / "epochs.csv", "w", newline="") as handle:
            fields = sorted({k for r in history for k in r}, key=lambda k: (k not in ("epoch", "step"), k))
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(history)
        for key, value in values.items():
            self.writer.add_scalar(f"val/{key}", value, step)
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Records of a JSONL file ([] if it does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_curves(out_dir: str | os.PathLike, path: str | os.PathLike | None = None) -> Path:
    """Plot loss terms, learning rate, validation IoU and Dice of a run into ``curves.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    steps, epochs = read_jsonl(out_dir / "steps.jsonl"), read_jsonl(out_dir / "epochs.jsonl")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for key in ("loss", "bce", "dice", "perceptual", "edge", "distill"):
        points = [(r["step"], r[key]) for r in steps if key in r]
        if points:
            axes[0].plot(*zip(*points, strict=True), label=key)
    axes[0].set(title="training loss", xlabel="step", yscale="log")
    axes[0].legend()
    lr = [(r["step"], r["lr"]) for r in steps if "lr" in r]
    if lr:
        axes[1].plot(*zip(*lr, strict=True))
    axes[1].set(title="learning rate", xlabel="step")
    for key in ("iou", "dice", "boundary_f"):
        points = [(r["step"], r[key]) for r in epochs if key in r]
        if points:
            axes[2].plot(*zip(*points, strict=True), marker="o", label=key)
    axes[2].set(title="validation", xlabel="step")
    axes[2].legend()
    fig.tight_layout()
    path = Path(path) if path else out_dir / "curves.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
