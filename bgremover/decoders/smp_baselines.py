"""Architecture baselines from segmentation_models_pytorch on the same registered encoders.

DeepLabV3+ and the plain U-Net, trained with bgremover's own pipeline, are what the attention
gates are measured against. They take the same input (RGB in [0, 1], any size) and give the same
output (1-channel logits) as :class:`~bgremover.decoders.attention_unet.AttentionUNet`.

Example:
    >>> import torch
    >>> model = SmpBaseline("resnet18", arch="unet").eval()
    >>> model(torch.rand(1, 3, 50, 70)).shape
    torch.Size([1, 1, 50, 70])
"""

from __future__ import annotations

import segmentation_models_pytorch as smp
import torch

from bgremover.base import SegmentationModel
from bgremover.encoders import ENCODERS, create_encoder
from bgremover.errors import UsageError

SMP_ARCHITECTURES = ("deeplabv3plus", "unet")


class SmpBaseline(SegmentationModel):
    """An smp model whose timm feature extractor is bgremover's registered encoder (same weights,
    same normalisation, loaded by :func:`bgremover.create_model`). ``decoder_channels`` sets the
    U-Net's decoder widths (smp's default, 256…16, is ~4× the Attention U-Net's compute); ``None``
    keeps smp's defaults."""

    def __init__(
        self,
        encoder_name: str = "tf_efficientnet_lite0",
        arch: str = "deeplabv3plus",
        decoder_channels: int | tuple[int, ...] | None = None,
    ):
        super().__init__()
        if arch not in SMP_ARCHITECTURES:
            raise UsageError(f"unknown smp arch {arch!r}; available: {', '.join(SMP_ARCHITECTURES)}")
        self.arch = arch
        timm_name = ENCODERS[encoder_name].timm_name
        if arch == "deeplabv3plus" and decoder_channels is not None and not isinstance(decoder_channels, int):
            raise UsageError(f"deeplabv3plus takes one decoder width (an int), got {decoder_channels!r}")
        options = {}
        if decoder_channels:
            options["decoder_channels"] = (
                decoder_channels if isinstance(decoder_channels, int) else tuple(decoder_channels)
            )
        self.net = smp.create_model(arch, encoder_name=f"tu-{timm_name}", encoder_weights=None, classes=1, **options)
        # bgremover's encoder wrapper (normalisation, weight loading) around smp's own timm model,
        # which DeepLabV3+ builds dilated (output stride 16): same parameters, same keys
        self.encoder = create_encoder(encoder_name, weights=None)
        self.encoder.model = self.net.encoder.model

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for an input whose sides are multiples of :attr:`stride`."""
        return self.net((x - self.encoder.mean) / self.encoder.std)
