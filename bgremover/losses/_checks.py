"""Shape checks shared by the losses."""

from __future__ import annotations

import torch

from bgremover.errors import UsageError


def check_pair(logits: torch.Tensor, target: torch.Tensor) -> None:
    """Require logits and target of the same (B, 1, H, W) shape."""
    if logits.ndim != 4 or logits.shape[1] != 1:
        raise UsageError(f"logits must have shape (B, 1, H, W), got {tuple(logits.shape)}")
    if target.shape != logits.shape:
        raise UsageError(f"target shape {tuple(target.shape)} does not match logits shape {tuple(logits.shape)}")
