"""Knowledge distillation: soft-target BCE between temperature-scaled student and teacher."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

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


class DistillationLoss(nn.Module):
    """Module form of :func:`distillation_loss`."""

    def __init__(self, temperature: float = 2.0):
        super().__init__()
        self.temperature = temperature

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        return distillation_loss(student_logits, teacher_logits, self.temperature)
