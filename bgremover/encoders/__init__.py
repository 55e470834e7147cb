"""Encoder registry: timm backbones as multi-scale feature extractors.

Each registered name maps to a timm model created with ``features_only=True``. Weights:

- ``"imagenet"``: a file from the local weights directory if one matches
  (``encoders/<timm_name>.*.safetensors``), else timm's normal download (HF Hub);
- a path to a ``.safetensors`` file (a full timm classifier, a bare encoder state dict, or a
  bgremover model's ``model.safetensors``, whose ``encoder.model.*`` tensors are taken);
- ``None``: random initialisation.

Example:
    >>> from bgremover.encoders import create_encoder, list_encoders
    >>> "resnet50" in list_encoders()
    True
    >>> enc = create_encoder("resnet18", weights=None)
    >>> enc.channels, enc.reductions
    ([64, 64, 128, 256, 512], [2, 4, 8, 16, 32])
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import timm
import torch
from torch import nn

from bgremover.errors import UsageError
from bgremover.weights import WeightsUnavailableError, load_state_dict, local_weight_file


@dataclass(frozen=True)
class EncoderSpec:
    """A registered encoder: its timm name and the pretrained tag ``"imagenet"`` resolves to."""

    timm_name: str
    imagenet_tag: str


ENCODERS: dict[str, EncoderSpec] = {}
MODEL_PREFIX = "encoder.model."  # where a bgremover model keeps its encoder's tensors


def register_encoder(name: str, timm_name: str | None = None, imagenet_tag: str = "in1k") -> None:
    """Register an encoder under ``name`` (timm model ``timm_name``, default the same)."""
    ENCODERS[name] = EncoderSpec(timm_name or name, imagenet_tag)


for _name, _tag in [
    ("resnet18", "a1_in1k"),
    ("resnet34", "a1_in1k"),
    ("resnet50", "a1_in1k"),
    ("tf_efficientnet_lite0", "in1k"),
    ("tf_efficientnet_lite2", "in1k"),
    ("mobilenetv3_large_100", "ra_in1k"),
]:
    register_encoder(_name, imagenet_tag=_tag)


def list_encoders() -> list[str]:
    """Names accepted by :func:`create_encoder`."""
    return sorted(ENCODERS)


class Encoder(nn.Module):
    """A timm feature extractor returning 5 feature maps at strides 2, 4, 8, 16, 32.

    Input: RGB in [0, 1], shape (B, 3, H, W) with H and W multiples of :attr:`stride`.
    Normalisation follows the timm ``pretrained_cfg`` and happens inside.
    """

    def __init__(self, name: str, weights: str | os.PathLike | None = None):
        super().__init__()
        if name not in ENCODERS:
            raise UsageError(f"unknown encoder {name!r}; registered: {', '.join(list_encoders())}")
        spec = ENCODERS[name]
        self.name = name
        self.model = timm.create_model(
            spec.timm_name, features_only=True, pretrained=False, out_indices=(0, 1, 2, 3, 4)
        )
        cfg = self.model.pretrained_cfg
        self.register_buffer("mean", torch.tensor(cfg["mean"]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg["std"]).view(1, 3, 1, 1), persistent=False)
        self.channels: list[int] = self.model.feature_info.channels()
        self.reductions: list[int] = self.model.feature_info.reduction()
        self.stride: int = self.reductions[-1]
        if weights is not None:
            self.load_pretrained(weights)

    def load_pretrained(self, weights: str | os.PathLike) -> None:
        """Load ``"imagenet"`` or a safetensors file (timm's, or a bgremover model's) into the feature
        extractor."""
        spec = ENCODERS[self.name]
        if weights == "imagenet":
            local = local_weight_file("encoders", f"{spec.timm_name}.*.safetensors")
            state = load_state_dict(local) if local else self._download(spec)
        else:  # a timm checkpoint, or a bgremover model whose encoder is reused (e.g. for a student)
            state = load_state_dict(weights)
            if any(key.startswith(MODEL_PREFIX) for key in state):
                state = {k.removeprefix(MODEL_PREFIX): v for k, v in state.items() if k.startswith(MODEL_PREFIX)}
        own = self.model.state_dict()
        matched = {k: v for k, v in state.items() if k in own}
        missing = sorted(k for k in set(own) - set(matched) if not k.endswith("num_batches_tracked"))
        if missing:
            raise WeightsUnavailableError(
                f"weights for encoder {self.name!r} lack {len(missing)} tensors "
                f"(first: {missing[0]}); is this a {spec.timm_name} checkpoint?"
            )
        self.model.load_state_dict(matched, strict=False)

    @staticmethod
    def _download(spec: EncoderSpec) -> dict:
        try:
            full = timm.create_model(f"{spec.timm_name}.{spec.imagenet_tag}", pretrained=True)
        except Exception as err:  # network, missing file, unknown tag
            raise WeightsUnavailableError(
                f"cannot download ImageNet weights for {spec.timm_name!r} ({err.__class__.__name__}: "
                f"{err}). Options: connect to the internet; set BGREMOVER_WEIGHTS_DIR to a folder "
                f"with encoders/{spec.timm_name}.*.safetensors; pass a .safetensors path; "
                f"or use encoder_weights=None for random init."
            ) from err
        return full.state_dict()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.model((x - self.mean) / self.std)


def create_encoder(name: str, weights: str | os.PathLike | None = None) -> Encoder:
    """Build the registered encoder ``name`` with ``weights`` (see module docstring)."""
    return Encoder(name, weights)
