"""Soft Dice loss."""

from __future__ import annotations

import torch
from torch import nn

from bgremover.losses._checks import check_pair


def dice_loss(
    logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0, known: torch.Tensor | None = None
) -> torch.Tensor:
    """1 − (2·Σpt + s) / (Σp + Σt + s) per image, averaged over the batch; p = σ(logits). ``known``
    (bool, the target's shape): the sums run over those pixels only (a pseudo-label's unknown pixels
    carry no gradient).

    Example:
        >>> logits = torch.full((1, 1, 2, 2), -100.0)  # p ≈ 0
        >>> round(dice_loss(logits, torch.ones(1, 1, 2, 2)).item(), 4)  # 1 - 1/5
        0.8
    """
    check_pair(logits, target)
    prob = torch.sigmoid(logits.float()).flatten(1)
    target = target.float().flatten(1)
    if known is not None:
        prob, target = prob * known.flatten(1), target * known.flatten(1)
    inter = (prob * target).sum(1)
    score = (2 * inter + smooth) / (prob.sum(1) + target.sum(1) + smooth)
    return (1 - score).mean()


class DiceLoss(nn.Module):
    """Module form of :func:`dice_loss`."""

    def __init__(self, smooth: float = 1.0):
        super().__init__()
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return dice_loss(logits, target, self.smooth)
