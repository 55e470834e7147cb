"""Building blocks of the Attention U-Net decoder."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvBlock(nn.Sequential):
    """Two 3×3 conv → batch norm → ReLU layers.

    Example:
        >>> ConvBlock(8, 4)(torch.zeros(1, 8, 5, 5)).shape
        torch.Size([1, 4, 5, 5])
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class AttentionGate(nn.Module):
    """Additive attention gate: α = σ(ψ(ReLU(W_g·g + W_x·x + b))), output x·α.

    ``g`` is the gating signal from the decoder (any spatial size; resized to ``x``),
    ``x`` the encoder skip feature. Returns the gated skip and α of shape (B, 1, H, W).

    Example:
        >>> gate = AttentionGate(gate_channels=8, skip_channels=4, inter_channels=2)
        >>> out, alpha = gate(torch.randn(1, 8, 3, 3), torch.randn(1, 4, 6, 6))
        >>> out.shape, alpha.shape
        (torch.Size([1, 4, 6, 6]), torch.Size([1, 1, 6, 6]))
    """

    def __init__(self, gate_channels: int, skip_channels: int, inter_channels: int):
        super().__init__()
        self.w_g = nn.Sequential(nn.Conv2d(gate_channels, inter_channels, 1, bias=True), nn.BatchNorm2d(inter_channels))
        self.w_x = nn.Sequential(
            nn.Conv2d(skip_channels, inter_channels, 1, bias=False), nn.BatchNorm2d(inter_channels)
        )
        self.psi = nn.Sequential(nn.Conv2d(inter_channels, 1, 1, bias=True), nn.BatchNorm2d(1))

    def forward(self, g: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g = F.interpolate(self.w_g(g), size=x.shape[-2:], mode="bilinear", align_corners=False)
        alpha = torch.sigmoid(self.psi(F.relu(g + self.w_x(x))))
        return x * alpha, alpha


class DecoderBlock(nn.Module):
    """Upsample the decoder state ×2, gate the skip (optional), concatenate, ConvBlock.

    Example:
        >>> block = DecoderBlock(in_channels=8, skip_channels=4, out_channels=6)
        >>> y, alpha = block(torch.randn(1, 8, 3, 3), torch.randn(1, 4, 6, 6))
        >>> y.shape, alpha.shape
        (torch.Size([1, 6, 6, 6]), torch.Size([1, 1, 6, 6]))
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, attention: bool = True):
        super().__init__()
        self.gate = (
            AttentionGate(in_channels, skip_channels, max(skip_channels // 2, 8))
            if attention and skip_channels
            else None
        )
        self.conv = ConvBlock(in_channels + skip_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        alpha = None
        if skip is not None and self.gate is not None:
            skip, alpha = self.gate(x, skip)
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.conv(x), alpha
