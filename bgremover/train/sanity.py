"""The design's sanity checks: overfit one batch, LR range test, gradient flow. Each writes a plot."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from bgremover.data import PairTransform
from bgremover.metrics import iou
from bgremover.train.builders import build_datasets, build_loss, build_model, build_optimizer
from bgremover.train.config import TrainConfig
from bgremover.train.precision import autocast_context
from bgremover.train.trainer import pick_device, seed_everything


def _plot(path: Path, draw) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    draw(ax)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _fixed_batch(config: TrainConfig, n_images: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n_images`` training items, unaugmented, at ``config.image_size``."""
    train, _ = build_datasets(config)
    train.transform = PairTransform(config.image_size, train=False)
    images, masks = zip(*(train[i] for i in range(min(n_images, len(train)))), strict=True)
    return torch.stack(images), torch.stack(masks)


@dataclass
class OverfitReport:
    losses: list[float] = field(default_factory=list)
    iou: float = 0.0
    passed: bool = False
    plot: Path | None = None


def overfit(config: TrainConfig, n_images: int = 8, steps: int = 300, target_iou: float = 0.95) -> OverfitReport:
    """Drive the composite loss down on one fixed batch; pass when the batch IoU exceeds ``target_iou``.

    Stops as soon as it passes (checked every 10 steps, model in eval mode).
    """
    seed_everything(config.seed)
    device = pick_device(config.device)
    images, masks = (t.to(device) for t in _fixed_batch(config, n_images))
    model, loss_fn = build_model(config).to(device), build_loss(config).to(device)
    optimizer = build_optimizer(config, model)
    report = OverfitReport()
    for step in range(1, steps + 1):
        model.train()
        with autocast_context(device, config.amp):
            total, _ = loss_fn(model(images), masks, images)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        report.losses.append(float(total.detach()))
        if step % 10 == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                probs = torch.sigmoid(model(images).float()).cpu().numpy()
            report.iou = float(np.mean([iou(p[0], m[0]) for p, m in zip(probs, masks.cpu().numpy(), strict=True)]))
            if report.iou > target_iou:
                report.passed = True
                break
    report.plot = _plot(
        Path(config.out_dir) / "overfit.png",
        lambda ax: (
            ax.plot(report.losses),
            ax.set(
                xlabel="step", ylabel="loss", yscale="log", title=f"overfit {n_images} images: IoU {report.iou:.3f}"
            ),
        ),
    )
    return report


def _training_setup(config: TrainConfig):
    """Seeded device, shuffled augmented loader, model, loss and optimiser for a short probe run."""
    seed_everything(config.seed)
    device = pick_device(config.device)
    train, _ = build_datasets(config)
    loader = DataLoader(train, batch_size=config.batch_size, shuffle=True, num_workers=0, drop_last=True)
    model, loss_fn = build_model(config).to(device), build_loss(config).to(device)
    return device, loader, model, loss_fn, build_optimizer(config, model)


@dataclass
class LRRangeReport:
    lrs: list[float]
    losses: list[float]
    suggested_lr: float
    plot: Path


def lr_range(config: TrainConfig, start: float = 1e-7, end: float = 1.0, steps: int = 200) -> LRRangeReport:
    """Exponential LR sweep from ``start`` to ``end``; suggests the LR of steepest smoothed descent."""
    device, loader, model, loss_fn, optimizer = _training_setup(config)
    gamma = (end / start) ** (1 / max(steps - 1, 1))
    lrs, losses, smoothed, best = [], [], 0.0, math.inf
    batches = iter(loader)
    model.train()
    for step in range(steps):
        lr = start * gamma**step
        for group in optimizer.param_groups:
            group["lr"] = lr
        try:
            images, masks = next(batches)
        except StopIteration:
            batches = iter(loader)
            images, masks = next(batches)
        images, masks = images.to(device), masks.to(device)
        with autocast_context(device, config.amp):
            total, _ = loss_fn(model(images), masks, images)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        value = float(total.detach())
        smoothed = 0.9 * smoothed + 0.1 * value
        debiased = smoothed / (1 - 0.9 ** (step + 1))
        lrs.append(lr)
        losses.append(debiased)
        best = min(best, debiased)
        if not math.isfinite(value) or debiased > 4 * best:
            break
    slopes = np.gradient(np.asarray(losses), np.log(np.asarray(lrs))) if len(lrs) > 2 else np.zeros(len(lrs))
    suggested = float(lrs[int(np.argmin(slopes))]) if len(lrs) else start
    plot = _plot(
        Path(config.out_dir) / "lr_range.png",
        lambda ax: (
            ax.plot(lrs, losses),
            ax.axvline(suggested, color="r", ls="--"),
            ax.set(
                xscale="log",
                xlabel="learning rate",
                ylabel="smoothed loss",
                title=f"LR range test: suggested {suggested:.2e}",
            ),
        ),
    )
    return LRRangeReport(lrs, losses, suggested, plot)


@dataclass
class GradFlowReport:
    norms: dict[str, float]
    flagged: dict[str, str]
    plot: Path


def grad_flow(config: TrainConfig, steps: int = 3, explode: float = 1e3) -> GradFlowReport:
    """Per-parameter gradient norms (averaged over ``steps`` steps); flags zero, NaN and exploding ones."""
    device, loader, model, loss_fn, optimizer = _training_setup(config)
    sums: dict[str, float] = {}
    model.train()
    for _, (images, masks) in zip(range(steps), loader, strict=False):
        images, masks = images.to(device), masks.to(device)
        total, _ = loss_fn(model(images), masks, images)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        for name, param in model.named_parameters():
            norm = float(param.grad.norm()) if param.grad is not None else 0.0
            sums[name] = sums.get(name, 0.0) + norm / steps
        optimizer.step()
    flagged = {}
    for name, norm in sums.items():
        if not math.isfinite(norm):
            flagged[name] = "nan/inf"
        elif norm == 0.0:
            flagged[name] = "zero"
        elif norm > explode:
            flagged[name] = "exploding"
    names = [n for n in sums if n.endswith("weight")]

    def draw(ax):
        ax.bar(range(len(names)), [sums[n] for n in names])
        ax.set(yscale="log", xlabel="layer (input → output)", ylabel="grad norm", title="gradient flow")

    return GradFlowReport(sums, flagged, _plot(Path(config.out_dir) / "grad_flow.png", draw))
