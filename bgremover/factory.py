"""The one registry of architectures, and ``create_model``: one factory for every architecture and encoder."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field

from torch import nn

from bgremover.errors import UsageError


@dataclass(frozen=True)
class Architecture:
    """Where an architecture's class lives (imported on first use) and the arguments that select it."""

    module: str
    class_name: str
    kwargs: dict = field(default_factory=dict)

    def load(self) -> type[nn.Module]:
        return getattr(importlib.import_module(self.module), self.class_name)


ARCHITECTURES: dict[str, Architecture] = {
    "attention_unet": Architecture("bgremover.decoders.attention_unet", "AttentionUNet"),
    "deeplabv3plus": Architecture("bgremover.decoders.smp_baselines", "SmpBaseline", {"arch": "deeplabv3plus"}),
    "unet": Architecture("bgremover.decoders.smp_baselines", "SmpBaseline", {"arch": "unet"}),
}
DEFAULT_ARCH = "attention_unet"  # what a config.json without an "arch" key was written by


def architecture(arch: str) -> Architecture:
    """The registry entry for ``arch``, or a ``ValueError`` naming the registered ones."""
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
