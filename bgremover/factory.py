"""The one registry of architectures, and ``create_model``: one factory for every architecture and encoder."""

from __future__ import annotations

import fnmatch
import importlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bgremover.errors import UsageError

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Architecture:
    """Where an architecture's class lives (imported on first use), the arguments that select it, and
    the training config's fields (:class:`~bgremover.train.config.TrainConfig`) it is built with."""

    module: str
    class_name: str
    kwargs: dict = field(default_factory=dict)
    train_options: tuple[str, ...] = ()

    def load(self) -> type[nn.Module]:
        return getattr(importlib.import_module(self.module), self.class_name)


ATTENTION_UNET_OPTIONS = (
    "decoder_channels",
    "attention",
    "encoder_dropout",
    "bottleneck_dropout",
    "gradient_checkpointing",
)
ARCHITECTURES: dict[str, Architecture] = {
    "attention_unet": Architecture("bgremover.decoders.attention_unet", "AttentionUNet", {}, ATTENTION_UNET_OPTIONS),
    "deeplabv3plus": Architecture("bgremover.decoders.smp_baselines", "SmpBaseline", {"arch": "deeplabv3plus"}),
    # smp's U-Net with the Attention U-Net's decoder widths: only the gates differ
    "unet": Architecture("bgremover.decoders.smp_baselines", "SmpBaseline", {"arch": "unet"}, ("decoder_channels",)),
}
DEFAULT_ARCH = "attention_unet"  # what a config.json without an "arch" key was written by


def list_models(pattern: str = "*") -> list[str]:
    """The registered architectures matching the shell-style ``pattern``, sorted (as timm's ``list_models``;
    the shipped trained models: :func:`~bgremover.pretrained.list_pretrained`).

    Example:
        >>> list_models("*unet")
        ['attention_unet', 'unet']
    """
    return sorted(name for name in ARCHITECTURES if fnmatch.fnmatch(name, pattern))


def architecture(arch: str) -> Architecture:
    """The registry entry for ``arch``, or a :class:`~bgremover.errors.UsageError` naming the registered ones."""
    if arch not in ARCHITECTURES:
        raise UsageError(f"unknown arch {arch!r}; available: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[arch]


def arch_name(model: nn.Module) -> str:
    """The registry name of a model built by :func:`create_model` (the inverse of the registry)."""
    for name, entry in ARCHITECTURES.items():
        if type(model).__name__ == entry.class_name and all(getattr(model, k, v) == v for k, v in entry.kwargs.items()):
            return name
    raise UsageError(f"{type(model).__name__} is not a registered architecture")


def create_model(
    arch: str = DEFAULT_ARCH,
    encoder_name: str = "tf_efficientnet_lite0",
    encoder_weights: str | os.PathLike | None = "imagenet",
    **kwargs,
) -> nn.Module:
    """Build ``arch`` on the registered encoder ``encoder_name``.

    ``encoder_weights``: ``"imagenet"`` (local weights dir if set, else download), a
    ``.safetensors`` path, or ``None`` for random init. Other keyword arguments go to the
    architecture (e.g. ``decoder_channels``, ``attention``, ``gradient_checkpointing``).

    Example:
        >>> import torch
        >>> from bgremover import create_model
        >>> model = create_model("attention_unet", "resnet18", encoder_weights=None)
        >>> model.eval()(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 1, 64, 64])
    """
    entry = architecture(arch)
    model = entry.load()(encoder_name=encoder_name, **entry.kwargs, **kwargs)
    if encoder_weights is not None:
        model.encoder.load_pretrained(encoder_weights)
    return model
