"""Attention U-Net (Oktay et al., 2018) on a timm encoder."""

from bgremover.decoders.attention_unet.blocks import AttentionGate, ConvBlock, DecoderBlock
from bgremover.decoders.attention_unet.model import AttentionUNet

__all__ = ["AttentionGate", "AttentionUNet", "ConvBlock", "DecoderBlock"]
