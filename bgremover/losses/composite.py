"""The design's composite loss: α·BCE + β·Dice + γ·Perceptual + δ·Edge."""

from __future__ import annotations

import torch
from torch import nn

from bgremover.errors import UsageError
from bgremover.losses.bce import bce_loss
from bgremover.losses.dice import dice_loss
from bgremover.losses.edge import edge_loss
from bgremover.losses.perceptual import PerceptualLoss


def fill_ignored(target: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """``target`` with its unknown pixels (NaN: a pseudo-label's uncertain pixels) set to the model's
    own detached probability there, so that no loss term (BCE, Dice, perceptual, edge) sees an error
    at them: BCE's gradient there is exactly zero.

    Example:
        >>> target = torch.tensor([[[[1.0, float("nan")]]]])
        >>> fill_ignored(target, torch.zeros(1, 1, 1, 2)).tolist()
        [[[[1.0, 0.5]]]]
    """
    unknown = torch.isnan(target)
    if not unknown.any():
        return target
    return torch.where(unknown, torch.sigmoid(logits.detach().float()), target)


class CompositeLoss(nn.Module):
    """Weighted sum of BCE, Dice, perceptual and edge terms; returns (total, {term: value}).

    A zero weight skips its term entirely (no VGG is built when ``perceptual == 0``). Target pixels
    that are NaN are unknown and left out (:func:`fill_ignored`).

    Example:
        >>> loss = CompositeLoss(perceptual=0.0)
        >>> target = torch.zeros(2, 1, 8, 8); target[..., 2:6, 2:6] = 1
        >>> total, terms = loss((target * 2 - 1) * 50, target, torch.rand(2, 3, 8, 8))
        >>> sorted(terms), total.item() < 0.05
        (['bce', 'dice', 'edge'], True)
    """

    def __init__(
        self,
        bce: float = 1.0,
        dice: float = 1.0,
        perceptual: float = 0.5,
        edge: float = 0.3,
        perceptual_size: int | None = 160,
        perceptual_weights: str | None = "imagenet",
        dice_smooth: float = 1.0,
    ):
        super().__init__()
        self.weights = {"bce": bce, "dice": dice, "perceptual": perceptual, "edge": edge}
        self.dice_smooth = dice_smooth
        self.perceptual = PerceptualLoss(perceptual_weights, perceptual_size) if perceptual else None

    def forward(
        self, logits: torch.Tensor, target: torch.Tensor, image: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = logits.float()
        known = ~torch.isnan(target)
        known = None if bool(known.all()) else known
        target = fill_ignored(target, logits)
        terms: dict[str, torch.Tensor] = {}
        if self.weights["bce"]:
            terms["bce"] = bce_loss(logits, target)
        if self.weights["dice"]:
            terms["dice"] = dice_loss(logits, target, self.dice_smooth, known)
        if self.perceptual is not None:
            if image is None:
                raise UsageError("the perceptual term needs the input image (B, 3, H, W)")
            terms["perceptual"] = self.perceptual(logits, target, image)
        if self.weights["edge"]:
            terms["edge"] = edge_loss(logits, target)
        total = sum(self.weights[name] * value for name, value in terms.items())
        return total, terms
