"""Distillation teachers: a callable from a training batch (N, 3, H, W, RGB in [0, 1]) to target logits
(N, 1, H, W).

- a network (a model folder, a shipped network's name or a Hub id): its logits through
  :func:`~bgremover.losses.teacher_logits`, on the batch enlarged ``scale``× and with its mirrored pass
  when ``flip``;
- a fused tier (``"best"``, ``"fast-plus"``; :mod:`bgremover.fusion`): its base network as above with the
  tier's flip setting, its probability weighted as the tier's ``config.json`` says and averaged with the
  peer's on the same enlarged images, returned as logits. The tier's multi-scale passes are left out (they
  would triple the teacher's cost per step).

Example:
    >>> from bgremover.train.teachers import load_teacher
    >>> teacher = load_teacher("fast", scale=1.0, flip=False)
    >>> teacher(torch.rand(2, 3, 64, 64)).shape
    torch.Size([2, 1, 64, 64])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bgremover.hub import load_network
from bgremover.losses import teacher_logits
from bgremover.pretrained import PRETRAINED, pretrained_model

PROBABILITY_FLOOR = 1e-4  # a fused probability of exactly 0 or 1 would be an infinite logit


class NetworkTeacher(nn.Module):
    """A network's logits on the batch enlarged ``scale``×, averaged with its mirrored pass's when ``flip``."""

    def __init__(self, network: nn.Module, scale: float = 1.0, flip: bool = False):
        super().__init__()
        self.network, self.scale, self.flip = network.requires_grad_(False), scale, flip

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return teacher_logits(self.network, images, self.scale, self.flip)


class FusedTeacher(nn.Module):
    """``weight`` × the base network's probability + (1 − ``weight``) × ``peer``'s, as logits. The peer
    (RGB uint8 → probability, :mod:`bgremover.peers`) sees each image at the size the base sees it
    (``scale``× the batch's); its map is resized to the batch's size."""

    def __init__(self, network: nn.Module, peer: Callable, weight: float, scale: float = 1.0, flip: bool = True):
        super().__init__()
        self.base = NetworkTeacher(network, scale, flip)
        self.peer, self.weight = peer, weight

    def peer_probabilities(self, images: torch.Tensor) -> torch.Tensor:
        size = images.shape[-2:]
        scale = self.base.scale
        if scale != 1.0:
            images = F.interpolate(images, scale_factor=scale, mode="bilinear", align_corners=False)
        rgbs = (images.detach().float().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        maps = np.stack([self.peer(np.ascontiguousarray(rgb), (size[1], size[0])) for rgb in rgbs])
        return torch.from_numpy(maps)[:, None].to(images.device)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        base = torch.sigmoid(self.base(images))
        fused = self.weight * base + (1.0 - self.weight) * self.peer_probabilities(images)
        return torch.logit(fused.clamp(PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR))


def load_teacher(source: str, scale: float = 1.0, flip: bool = False) -> nn.Module:
    """The teacher ``source`` names: a fused tier's name gives a :class:`FusedTeacher` (its base with the
    tier's flip setting; ``flip`` is then not used), anything :func:`~bgremover.hub.load_network` reads
    gives a :class:`NetworkTeacher`."""
    if source in PRETRAINED and pretrained_model(source).fused:
        from bgremover.fusion import FusionConfig
        from bgremover.peers import load_peer

        config = FusionConfig.load(pretrained_model(source).folder)
        network = load_network(config.base)
        return FusedTeacher(network, load_peer(config.peer), config.weight, scale, config.flip)
    return NetworkTeacher(load_network(source), scale, flip)
