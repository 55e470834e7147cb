"""Sobel edge loss: L1 between gradient magnitudes of prediction and target."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bgremover.losses._checks import check_pair

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_magnitude(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Sobel gradient magnitude √(gx² + gy² + eps) of (B, 1, H, W) maps, replicate-padded.

    Example:
        >>> step = torch.zeros(1, 1, 3, 4); step[..., 2:] = 1
        >>> sobel_magnitude(step)[0, 0, 1].round().tolist()
        [0.0, 4.0, 4.0, 0.0]
    """
    kx = _SOBEL_X.to(x).view(1, 1, 3, 3)
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = F.conv2d(padded, kx)
    gy = F.conv2d(padded, kx.transpose(-1, -2))
    return torch.sqrt(gx * gx + gy * gy + eps)


def edge_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean |Sobel(σ(logits)) − Sobel(target)|.

    Example:
        >>> target = torch.zeros(1, 1, 4, 4); target[..., 2:] = 1
        >>> logits = (target * 2 - 1) * 100
        >>> edge_loss(logits, target).item() < 1e-4
        True
    """
    check_pair(logits, target)
    return (sobel_magnitude(torch.sigmoid(logits.float())) - sobel_magnitude(target.float())).abs().mean()


class EdgeLoss(nn.Module):
    """Module form of :func:`edge_loss`."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return edge_loss(logits, target)
