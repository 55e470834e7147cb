"""``create_model``: one factory for every architecture and encoder."""

from __future__ import annotations

import os
from functools import partial

from torch import nn

from bgremover.decoders.attention_unet import AttentionUNet
from bgremover.decoders.smp_baselines import SmpBaseline

ARCHITECTURES: dict[str, type[nn.Module]] = {
    "attention_unet": AttentionUNet,
    "deeplabv3plus": partial(SmpBaseline, arch="deeplabv3plus"),
    "unet": partial(SmpBaseline, arch="unet"),
}


def create_model(
    arch: str = "attention_unet",
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
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown arch {arch!r}; available: {', '.join(sorted(ARCHITECTURES))}")
    model = ARCHITECTURES[arch](encoder_name=encoder_name, **kwargs)
    if encoder_weights is not None:
        model.encoder.load_pretrained(encoder_weights)
    return model
