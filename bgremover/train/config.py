"""``TrainConfig``: the one object that flows from the CLI (or a YAML/JSON file) to the trainer."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bgremover.composite_config import CompositeConfig
from bgremover.errors import UsageError

# the compositor's knobs a config may also give flat (older configs, the command line): key -> field of
# CompositeConfig (``group_max`` N is ``group_size`` (2, N))
FLAT_COMPOSITE_KEYS = {
    "composite_p": "p",
    "empty_p": "empty_p",
    "portrait_p": "portrait_p",
    "closeup_p": "closeup_p",
    "closeup_height": "closeup_height",
    "closeup_center": "closeup_center",
    "real_closeup_p": "real_closeup_p",
    "defocus_p": "defocus_p",
    "defocus_radius": "defocus_radius",
    "harmonize_p": "harmonize_p",
    "occluder_p": "occluder_p",
    "negative_p": "negative_p",
    "group_p": "group_p",
    "group_max": "group_size",
    "group_row_p": "group_row_p",
}


def flat_config(config: dict) -> dict:
    """A config mapping with the compositor's knobs flat (:data:`FLAT_COMPOSITE_KEYS`, the inverse of
    :meth:`TrainConfig.from_dict`'s folding), whether it holds them nested under ``composite`` or, as
    older runs wrote them, flat.

    Example:
        >>> flat_config({"epochs": 2, "composite": {"p": 0.6, "group_size": [2, 7]}})
        {'composite_p': 0.6, 'group_max': 7, 'epochs': 2}
    """
    knobs = {field: key for key, field in FLAT_COMPOSITE_KEYS.items()}
    nested = (config.get("composite") or {}).items()
    flat = {knobs[f]: value[1] if f == "group_size" else value for f, value in nested if f in knobs}
    return flat | {k: v for k, v in config.items() if k != "composite"}  # a flat key given beside wins


@dataclass
class TrainConfig:
    """Every knob of a training run. The defaults are the from-ImageNet recipe with the composite and
    real-photo options the shipped models were trained with; the shipped models themselves are
    fine-tunes (``--init-from``) and weight averages descending from the 2026-11-26 Lite2 model: the
    exact commands are in docs/training.md and the model cards.

    Example:
        >>> cfg = TrainConfig.from_dict({"epochs": 2, "lr": 3e-4})
        >>> cfg.epochs, cfg.lr, cfg.betas
        (2, 0.0003, (0.9, 0.999))
    """

    # data
    data: str = ""
    split: str | None = "trainval"
    val_split: str | None = None
    val_fraction: float = 0.1
    # which photos the ``val_fraction`` hold-out takes and how its close-up composites are drawn:
    # independent of ``seed``, so that runs differing in seed validate on the same photos and never
    # train on one another's validation people
    val_seed: int = 42
    extra_data: tuple[str, ...] = ()  # more folders of real photos (images/ + masks/), all of each used
    extra_repeat: int = 1  # how many times each extra folder is listed per epoch
    # real frames labelled by teachers (tools/pseudo_label.py): masks with 128 where the label is unknown,
    # those pixels left out of the loss; never composited or cropped (they are the framing users send)
    pseudo_data: tuple[str, ...] = ()
    pseudo_repeat: int = 1  # how many times each pseudo-labelled folder is listed per epoch (the mix knob)
    backgrounds: tuple[str, ...] = ()  # background folders, each drawn equally often (four fifths of each)
    # folders of objects that are not people (images/ + masks/, tools/object_cutouts.py), pasted touching the
    # composites' people as background with ``composite.negative_p``: the hard negatives
    negatives: tuple[str, ...] = ()
    image_size: int = 320
    scales: tuple[int, ...] = (256, 320, 384)
    # how the people are pasted onto the backgrounds: every knob of the compositor, with its one default
    # (YAML: ``composite: {p: 0.6, closeup_p: 0.3}``; the flat keys and flags below are accepted too)
    composite: CompositeConfig = field(default_factory=CompositeConfig)
    camera_p: float = 0.5  # of samples resampled / noised / JPEG-compressed (each with half this)
    rotate90_p: float = 0.05
    squash_p: float = 0.0  # of samples resized to the square whatever their aspect (for square-input tiers)
    soft_masks: bool = False
    hard_mining: bool = False
    batch_size: int = 8
    num_workers: int = 2
    prefetch_factor: int = 2
    persistent_workers: bool = True
    max_val_images: int | None = None
    # validation beside the held-out photos: one fixed webcam/portrait composite of each validation person
    # on the training rooms (people never trained on), and ``extra_data`` stems (fnmatch patterns) kept
    # out of training for validation, so that model selection sees the framings users have
    val_closeups: bool = False
    # and one portrait-lens composite of each validation person: close-up or head-and-torso framing, the
    # room strongly defocused (disk radius 2-5 % of the long side), as portrait photos and blurred
    # video-call backgrounds show it
    val_bokeh: bool = False
    # and one real close-up of each validation photo: the photo cropped, not resampled, to a
    # head-and-shoulders close-up of its person (person and room from one camera; closeup_crop)
    val_real_closeups: bool = False
    val_holdout: tuple[str, ...] = ()
    # validation composites on rooms kept from training (a fifth of each background folder: split "val"
    # of background_files; training then uses the other three of its four fifths), so that model
    # selection sees rooms the model has not seen; off: validation composites reuse the training rooms
    val_rooms: bool = False
    # model
    arch: str = "attention_unet"
    encoder: str = "tf_efficientnet_lite0"
    encoder_weights: str | None = "imagenet"
    decoder_channels: tuple[int, ...] = (128, 64, 48, 32, 16)
    attention: bool = True
    encoder_dropout: float = 0.1
    bottleneck_dropout: float = 0.2
    gradient_checkpointing: bool = False
    # start from a trained model's weights (a model source; the architecture options must match it)
    init_from: str | None = None
    # magnitude pruning applied before training and kept during it (fine-tuning a pruned model)
    prune_amount: float = 0.0
    prune_structured: bool = True
    # loss
    w_bce: float = 1.0
    w_dice: float = 1.0
    w_perceptual: float = 0.5
    w_edge: float = 0.3
    perceptual_size: int | None = 160
    # distillation (a teacher model source: folder, name or Hub id; a fused tier such as "best" fuses
    # its base network with its peer, bgremover.train.teachers)
    teacher: str | None = None
    w_distill: float = 1.0
    distill_temperature: float = 2.0
    teacher_scale: float = 1.0  # the teacher sees the batch resized by this (2.0: a 512-px teacher, 256-px batch)
    teacher_flip: bool = False  # its logits averaged with its mirrored pass's (a mirror-symmetric target)
    # optimisation
    epochs: int = 30
    max_steps: int | None = None
    lr: float = 1e-4
    weight_decay: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.999)
    t0: int = 10
    t_mult: int = 2
    grad_clip: float = 1.0
    amp: bool = True
    # an exponential moving average of the weights (timm's ModelEmaV3), e.g. 0.995: validated, kept
    # as best/ and resumed instead of the raw weights
    ema_decay: float | None = None
    keep_epochs: bool = False  # also save each epoch's validated weights as epoch-N/ (for weight averages)
    # run
    out_dir: str = "runs/default"
    seed: int = 42
    deterministic: bool = False
    resume: bool = False
    checkpoint_every: int = 50
    log_every: int = 10
    device: str | None = None
    progress: bool = True

    def __post_init__(self):
        for name in (
            "backgrounds",
            "negatives",
            "extra_data",
            "pseudo_data",
            "val_holdout",
        ):  # one string (as older configs wrote it), or none
            value = getattr(self, name)
            setattr(self, name, (value,) if isinstance(value, str) else tuple(value or ()))
        if self.teacher_scale <= 0:
            raise UsageError(f"teacher_scale must be positive, got {self.teacher_scale}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise UsageError(f"ema_decay must be in (0, 1), got {self.ema_decay}")

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Build from a mapping, converting lists to tuples; the compositor's knobs nested under
        ``composite`` or flat (:data:`FLAT_COMPOSITE_KEYS`); unknown keys are an error.

        Example:
            >>> cfg = TrainConfig.from_dict({"composite_p": 0.6, "composite": {"closeup_p": 0.3}})
            >>> cfg.composite.p, cfg.composite.closeup_p, cfg.composite.empty_p
            (0.6, 0.3, 0.1)
        """
        values = dict(values)
        composite = dict(values.pop("composite", None) or {})
        for key in [k for k in values if k in FLAT_COMPOSITE_KEYS]:
            value = values.pop(key)
            composite[FLAT_COMPOSITE_KEYS[key]] = (2, value) if key == "group_max" else value
        names = {f.name for f in dataclasses.fields(cls)}
        knobs = {f.name for f in dataclasses.fields(CompositeConfig)}
        unknown = sorted(set(values) - names) + sorted(f"composite.{k}" for k in set(composite) - knobs)
        if unknown:
            raise UsageError(f"unknown config keys: {', '.join(unknown)}")
        tuples = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        knob_values = {k: tuple(v) if isinstance(v, list) else v for k, v in composite.items()}
        return cls(**tuples, composite=CompositeConfig(**knob_values))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TrainConfig:
        """Load a ``.yaml``/``.yml`` or ``.json`` file."""
        text = Path(path).read_text()
        values = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        return cls.from_dict(values or {})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, path: str | os.PathLike) -> None:
        """Write the resolved config as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One ``--name`` option per field (``--no-name`` for booleans), and per flat compositor knob
        (:data:`FLAT_COMPOSITE_KEYS`: ``--composite-p``, ``--closeup-p``...), defaulting to unset."""
        parser.add_argument("--config", help="YAML or JSON file with config values")
        hints = typing.get_type_hints(cls)
        knob_hints = typing.get_type_hints(CompositeConfig)
        defaults = CompositeConfig()
        options = [(f.name, hints[f.name], f.default) for f in dataclasses.fields(cls) if f.name != "composite"]
        for key, knob in FLAT_COMPOSITE_KEYS.items():
            default = getattr(defaults, knob)
            options.append((key, int, default[1]) if key == "group_max" else (key, knob_hints[knob], default))
        for name, kind, default in options:
            flag = "--" + name.replace("_", "-")
            if kind is bool:
                parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None)
                continue
            base, nargs = _parse_type(kind)
            nargs = "*" if default == () else nargs  # a list that may be empty
            parser.add_argument(flag, dest=name, type=base, nargs=nargs, default=None, help=f"(default: {default})")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> TrainConfig:
        """File values (``--config``) overridden by every option given on the command line."""
        values = cls.from_file(args.config).to_dict() if getattr(args, "config", None) else {}
        names = [f.name for f in dataclasses.fields(cls) if f.name != "composite"] + list(FLAT_COMPOSITE_KEYS)
        for name in names:
            given = getattr(args, name, None)
            if given is not None:
                values[name] = None if given == "none" else given
        return cls.from_dict(values)


def _parse_type(kind) -> tuple[typing.Callable, str | None]:
    """argparse ``type`` and ``nargs`` for a field annotation."""
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    origin = typing.get_origin(kind)
    if origin is tuple:
        return args[0], "+"
    if origin in (typing.Union, types.UnionType):
        base, nargs = _parse_type(args[0])
        return (lambda s, b=base: "none" if s.lower() == "none" else b(s)), nargs
    return kind, None
