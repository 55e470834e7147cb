"""The Attention U-Net model with Hugging Face Hub integration."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from bgremover.base import SegmentationModel
from bgremover.decoders.attention_unet.blocks import DecoderBlock
from bgremover.encoders import create_encoder
from bgremover.errors import UsageError


class AttentionUNet(SegmentationModel):
    """U-Net with attention-gated skips on a timm encoder; outputs 1-channel person logits.

    Input: RGB float in [0, 1], shape (B, 3, H, W), any H and W (padded to the encoder's
    stride internally and cropped back). Output logits (B, 1, H, W); with
    ``return_attention=True`` also the attention maps, deepest first, each (B, 1, h, w) in [0, 1].

    Encoder weights are not part of the constructor (so ``config.json`` rebuilds the
    architecture without a download); load them with :func:`bgremover.create_model`.

    Example:
        >>> import torch
        >>> model = AttentionUNet("resnet18", decoder_channels=(64, 32, 16, 8, 8)).eval()
        >>> logits, maps = model(torch.rand(1, 3, 67, 45), return_attention=True)
        >>> logits.shape, len(maps)
        (torch.Size([1, 1, 67, 45]), 4)
    """

    def __init__(
        self,
        encoder_name: str = "tf_efficientnet_lite0",
        decoder_channels: tuple[int, ...] = (128, 64, 48, 32, 16),
        attention: bool = True,
        encoder_dropout: float = 0.1,
        bottleneck_dropout: float = 0.2,
        gradient_checkpointing: bool = False,
    ):
        super().__init__()
        if len(decoder_channels) != 5:
            raise UsageError(f"decoder_channels needs 5 entries, got {len(decoder_channels)}")
        self.encoder = create_encoder(encoder_name, weights=None)
        self.gradient_checkpointing = gradient_checkpointing
        self.encoder_dropout = nn.Dropout2d(encoder_dropout)
        self.bottleneck_dropout = nn.Dropout2d(bottleneck_dropout)
        skips = [*list(reversed(self.encoder.channels[:-1])), 0]
        in_channels = [self.encoder.channels[-1], *decoder_channels[:-1]]
        self.blocks = nn.ModuleList(
            DecoderBlock(i, s, o, attention=attention)
            for i, s, o in zip(in_channels, skips, decoder_channels, strict=True)
        )
        self.head = nn.Conv2d(decoder_channels[-1], 1, 3, padding=1)

    def _encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
            return checkpoint(self.encoder, x, use_reentrant=False)
        return self.encoder(x)

    def forward_padded(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and attention maps for an input whose sides are multiples of :attr:`stride`."""
        features = self._encode(x)
        y = self.bottleneck_dropout(features[-1])
        skips = [self.encoder_dropout(f) for f in reversed(features[:-1])] + [None]
        maps = []
        for block, skip in zip(self.blocks, skips, strict=True):
            y, alpha = block(y, skip)
            if alpha is not None:
                maps.append(alpha)
        return self.head(y), maps

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        logits, maps = self.forward_with_extras(x)
        return (logits, maps) if return_attention else logits
