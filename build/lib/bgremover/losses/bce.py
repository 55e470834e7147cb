"""Binary cross-entropy on logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bgremover.losses._checks import check_pair


def bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy between logits and a binary or soft target in [0, 1].

    Example:
        >>> round(bce_loss(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)).item(), 4)  # ln 2
        0.6931
    """
    check_pair(logits, target)
    return F.binary_cross_entropy_with_logits(logits.float(), target.float())


class BCELoss(nn.Module):
    """Module form of :func:`bce_loss`."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return bce_loss(logits, target)
