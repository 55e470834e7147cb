"""Knowledge distillation: soft-target BCE between temperature-scaled student and teacher."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bgremover.errors import UsageError
from bgremover.losses._checks import check_pair


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 2.0):
    """T² · BCE(σ(student/T), σ(teacher/T)), minus the teacher's own entropy so that it is 0 at a match.

    Example:
        >>> t = torch.randn(1, 1, 4, 4)
        >>> round(distillation_loss(t, t).item(), 6)
        0.0
    """
    check_pair(student_logits, teacher_logits)
    soft = torch.sigmoid(teacher_logits.float() / temperature)
    cross = F.binary_cross_entropy_with_logits(student_logits.float() / temperature, soft)
    entropy = F.binary_cross_entropy_with_logits(teacher_logits.float() / temperature, soft)
    return (cross - entropy) * temperature**2


@torch.no_grad()
def teacher_logits(teacher: nn.Module, images: torch.Tensor, scale: float = 1.0, flip: bool = False) -> torch.Tensor:
    """``teacher``'s logits for ``images`` (N, 3, H, W) at their size: the teacher sees them resized by
    ``scale`` (e.g. 2.0: a 512-px teacher on a 256-px student's batch), and with ``flip`` its logits are
    averaged with those of its mirrored pass, a target that does not change when the image is mirrored.

    Example:
        >>> net = nn.Conv2d(3, 1, 3, padding=1)
        >>> images = torch.rand(2, 3, 8, 6)
        >>> teacher_logits(net, images, scale=2.0, flip=True).shape
        torch.Size([2, 1, 8, 6])
        >>> symmetric = teacher_logits(net, images, flip=True)
        >>> torch.allclose(teacher_logits(net, images.flip(-1), flip=True), symmetric.flip(-1), atol=1e-6)
        True
    """
    if images.ndim != 4:
        raise UsageError(f"teacher_logits: images must be (N, 3, H, W), got shape {tuple(images.shape)}")
    if scale <= 0:
        raise UsageError(f"teacher_logits: scale must be positive, got {scale}")
    size = images.shape[-2:]
    seen = images if scale == 1.0 else F.interpolate(images, scale_factor=scale, mode="bilinear", align_corners=False)
    logits = teacher(seen).float()
    if flip:
        logits = (logits + teacher(seen.flip(-1)).float().flip(-1)) / 2
    if logits.shape[-2:] != size:
        logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False, antialias=scale > 1.0)
    return logits


class DistillationLoss(nn.Module):
    """Module form of :func:`distillation_loss`."""

    def __init__(self, temperature: float = 2.0):
        super().__init__()
        self.temperature = temperature

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        return distillation_loss(student_logits, teacher_logits, self.temperature)
