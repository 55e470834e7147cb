"""The training loop: AMP, clipping, per-iteration cosine restarts, validation, checkpoints, DDP."""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from timm.utils import ModelEmaV3
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from bgremover.losses import distillation_loss, fill_ignored
from bgremover.train.builders import (
    build_datasets,
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    build_train_loader,
)
from bgremover.train.checkpoint import (
    atomic_save,
    load_checkpoint,
    remove_interrupted_saves,
    rng_state,
    set_rng_state,
)
from bgremover.train.config import TrainConfig
from bgremover.train.distributed import DistInfo, init_distributed
from bgremover.train.evaluate import evaluate
from bgremover.train.logging import RunLogger, plot_curves
from bgremover.train.precision import autocast_context, training_autocast
from bgremover.train.teachers import load_teacher

LAST_CHECKPOINT = "last.pt"
BEST_DIR = "best"


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch; optionally ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.benchmark = not deterministic


def pick_device(name: str | None) -> torch.device:
    """``name`` if given, else CUDA when available, else CPU."""
    return torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))


def run_environment(device: torch.device, dist, amp: bool = False) -> dict:
    """Where a run trained, for its model card: the processor, cores, device, processes, torch and the
    autocast type ``amp`` gives there (``None``: fp32)."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "device": str(device),
        "gpu": gpu,
        "processes": dist.world_size,
        "torch": torch.__version__,
        "autocast": str(dtype).removeprefix("torch.") if (dtype := training_autocast(device, amp)) else None,
    }


class Trainer:
    """Runs a whole training from a :class:`TrainConfig`; see :meth:`fit`.

    Writes into ``config.out_dir``: ``config.json`` (resolved config), ``last.pt`` (resumable,
    atomic), ``best/`` (``save_pretrained`` of the best validation IoU; with ``keep_epochs`` also
    ``epoch-1/``, ``epoch-2/``, ... of every epoch), ``steps.jsonl``,
    ``epochs.jsonl``/``.csv``, ``tensorboard/`` and ``curves.png``. Only rank 0 writes.
    ``stems`` fixes the (train, validation) stems, e.g. for cross-validation folds.
    """

    def __init__(
        self,
        config: TrainConfig,
        dist: DistInfo | None = None,
        stems: tuple[list[str], list[str]] | None = None,
    ):
        self.config = config
        self.dist = dist or init_distributed()
        seed_everything(config.seed + self.dist.rank, config.deterministic)
        self.device = pick_device(config.device)
        if self.device.type == "cuda" and self.dist.enabled:
            self.device = torch.device("cuda", self.dist.local_rank)
        self.out_dir = Path(config.out_dir)
        if self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            remove_interrupted_saves(self.out_dir)  # a run killed mid-save leaves its temporary file
            config.save(self.out_dir / "config.json")
            (self.out_dir / "environment.json").write_text(
                json.dumps(run_environment(self.device, self.dist, config.amp), indent=1)
            )
        self.train_set, self.val_set = build_datasets(config, *(stems or (None, None)))
        self.loader = build_train_loader(config, self.train_set, self.dist)
        self.model = build_model(config).to(self.device)
        self.loss = build_loss(config).to(self.device)
        self.ema = ModelEmaV3(self.model, decay=config.ema_decay) if config.ema_decay else None
        self.teacher = (
            load_teacher(config.teacher, config.teacher_scale, config.teacher_flip).to(self.device)
            if config.teacher
            else None
        )
        self.optimizer = build_optimizer(config, self.model)
        self.scheduler = build_scheduler(config, self.optimizer)
        self.scaler = torch.amp.GradScaler("cuda", enabled=config.amp and self.device.type == "cuda")
        self.net = (
            DistributedDataParallel(self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
            if self.dist.enabled
            else self.model
        )
        self.epoch, self.batch_in_epoch, self.step, self.best_iou = 0, 0, 0, -1.0
        self.validated_step = -1  # the step of the last logged validation
        self.logger = RunLogger(self.out_dir, enabled=self.dist.is_main)
        if config.resume and (self.out_dir / LAST_CHECKPOINT).exists():
            self.load_state(self.out_dir / LAST_CHECKPOINT)

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "step": self.step,
            "best_iou": self.best_iou,
            "validated_step": self.validated_step,
            "rng": rng_state(),
            "sampler": self._sampler_state(),
        } | ({"ema": self.ema.module.state_dict()} if self.ema is not None else {})

    def _sampler_state(self) -> dict:
        sampler = self.loader.batch_sampler.sampler
        return {"losses": torch.from_numpy(sampler.losses)} if hasattr(sampler, "losses") else {}

    def save_state(self) -> None:
        if self.dist.is_main:
            atomic_save(self.state(), self.out_dir / LAST_CHECKPOINT)

    def load_state(self, path: Path) -> None:
        state = load_checkpoint(path)
        self.model.load_state_dict(state["model"])
        if self.ema is not None:
            self.ema.module.load_state_dict(state["ema"] if "ema" in state else state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        # the restart schedule follows the config, so a resumed run may be given a new length
        self.scheduler.T_0 = self.scheduler.T_i = self.config.t0
        self.scheduler.T_mult = self.config.t_mult
        self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.batch_in_epoch = state["epoch"], state["batch_in_epoch"]
        self.step, self.best_iou = state["step"], state["best_iou"]
        self.validated_step = state.get("validated_step", self.step)
        set_rng_state(state["rng"])
        self.logger.truncate(self.step, self.validated_step)
        if "losses" in state["sampler"]:
            self.loader.batch_sampler.sampler.losses = state["sampler"]["losses"].numpy()

    # -- loop ----------------------------------------------------------------------------------
    def _done(self) -> bool:
        return self.config.max_steps is not None and self.step >= self.config.max_steps

    def train_epoch(self) -> None:
        config, batches = self.config, self.loader.batch_sampler
        iters = len(batches)
        skip = self.batch_in_epoch  # resuming mid-epoch: the sampler replays the epoch from here
        batches.set_epoch(self.epoch, start_batch=skip)
        self.net.train()
        bar = tqdm(
            total=iters, initial=skip, desc=f"epoch {self.epoch}", disable=not (config.progress and self.dist.is_main)
        )
        started, seen = time.perf_counter(), 0
        for i, (images, masks, indices) in enumerate(self.loader, start=skip):
            images, masks = images.to(self.device, non_blocking=True), masks.to(self.device, non_blocking=True)
            with autocast_context(self.device, config.amp):
                logits = self.net(images)
                total, terms = self.loss(logits, masks, images)  # NaN (a pseudo-label's unknown) left out
                masks = fill_ignored(masks, logits)  # for the hard-example miner's per-item BCE
                if self.teacher is not None:
                    target = self.teacher(images)
                    terms["distill"] = distillation_loss(logits, target, config.distill_temperature)
                    total = total + config.w_distill * terms["distill"]
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(total).backward()
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step(self.epoch + (i + 1) / iters)
            self.step += 1
            self.batch_in_epoch = i + 1
            if self.ema is not None:
                self.ema.update(self.model, step=self.step)
            seen += len(images)
            if config.hard_mining and hasattr(batches.sampler, "update"):
                with torch.no_grad():
                    per_item = torch.nn.functional.binary_cross_entropy_with_logits(
                        logits.float(), masks, reduction="none"
                    ).mean((1, 2, 3))
                batches.sampler.update(indices.tolist(), per_item.cpu().tolist())
            rate = seen / (time.perf_counter() - started)
            record = {k: float(v.detach()) for k, v in terms.items()}
            record.update(
                loss=float(total.detach()), lr=self.optimizer.param_groups[0]["lr"], grad_norm=float(grad_norm)
            )
            bar.set_postfix(loss=f"{record['loss']:.4f}", img_s=f"{rate:.1f}")
            bar.update(1)
            if self.step % config.log_every == 0 or self.step == 1:
                self.logger.step(self.step, {**record, "images_per_s": rate})
            if not math.isfinite(record["loss"]):
                raise FloatingPointError(f"loss became {record['loss']} at step {self.step}")
            if self.step % config.checkpoint_every == 0:
                self.save_state()
            if self._done():
                break
        bar.close()

    @property
    def evaluated_model(self) -> torch.nn.Module:
        """The weights that are validated and saved as ``best/``: the moving average when kept."""
        return self.ema.module if self.ema is not None else self.model

    def validate(self) -> dict:
        summary = evaluate(self.evaluated_model, self.val_set, self.device, self.config.amp)
        values = {k: v for k, v in summary["mean"].items()}
        self.validated_step = self.step
        if self.dist.is_main:
            self.logger.epoch(self.epoch, self.step, values)
            if values["iou"] > self.best_iou:
                self.best_iou = values["iou"]
                self.evaluated_model.save_pretrained(self.out_dir / BEST_DIR)
        return values

    def check_replicas(self) -> float:
        """Largest difference between this rank's parameters and rank 0's; rank 0 logs it."""
        import torch.distributed as dist

        worst = torch.zeros(1, device=self.device)
        for param in self.model.parameters():
            reference = param.detach().clone()
            dist.broadcast(reference, src=0)
            worst = torch.maximum(worst, (param.detach() - reference).abs().max().reshape(1))
        dist.all_reduce(worst, op=dist.ReduceOp.MAX)
        if self.dist.is_main:
            record = {"world_size": self.dist.world_size, "max_param_difference": float(worst)}
            (self.out_dir / "replicas.json").write_text(json.dumps(record))
        return float(worst)

    def fit(self) -> dict:
        """Train until ``epochs`` (or ``max_steps``); returns the last validation metrics."""
        values: dict = {}
        while self.epoch < self.config.epochs and not self._done():
            self.train_epoch()
            if self.batch_in_epoch >= len(self.loader.batch_sampler):
                values = self.validate()
                if self.config.keep_epochs and self.dist.is_main:
                    self.evaluated_model.save_pretrained(self.out_dir / f"epoch-{self.epoch + 1}")
                self.epoch, self.batch_in_epoch = self.epoch + 1, 0
            elif self._done():
                values = self.validate()
            self.save_state()
        if self.dist.enabled:
            self.check_replicas()
        if self.dist.is_main:
            plot_curves(self.out_dir)
        self.logger.close()
        return values
