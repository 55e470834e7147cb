"""Any-size input for stride-limited networks: check, pad to the stride, crop back."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bgremover.errors import UsageError


def pad_to_stride(x: torch.Tensor, stride: int) -> torch.Tensor:
    """Check ``x`` is an RGB batch (B, 3, H, W) and pad it on the bottom/right (replicate) to a
    multiple of ``stride``. The pad is unconditional so an exported graph stays dynamic.

    Example:
        >>> pad_to_stride(torch.zeros(1, 3, 33, 64), 32).shape
        torch.Size([1, 3, 64, 64])
    """
    if x.ndim != 4 or x.shape[1] != 3:
        raise UsageError(f"expected RGB input of shape (B, 3, H, W), got {tuple(x.shape)}")
    height, width = x.shape[-2:]
    return F.pad(x, (0, (-width) % stride, 0, (-height) % stride), mode="replicate")
