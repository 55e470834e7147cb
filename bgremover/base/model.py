"""``SegmentationModel``: the forward contract every bgremover architecture shares.

Input: an RGB batch (N, 3, H, W) with values in [0, 1], any H and W (padded internally to the
encoder's stride, cropped back). Output: person logits (N, 1, H, W). Normalisation happens inside
(the encoder's ``pretrained_cfg`` mean/std). Subclasses implement :meth:`forward_padded` for inputs
whose sides are multiples of :attr:`stride`; it returns the logits, or (logits, extras).
"""

from __future__ import annotations

import torch
from torch import nn

from bgremover.base.hub_mixin import BgremoverHubMixin
from bgremover.base.padding import pad_to_stride


class SegmentationModel(nn.Module, BgremoverHubMixin):
    """Base of every architecture (see the module docstring for the contract)."""

    encoder: nn.Module

    @property
    def stride(self) -> int:
        """Input sizes are padded internally to a multiple of this."""
        return self.encoder.stride

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, object]:
        raise NotImplementedError

    def forward_with_extras(self, x: torch.Tensor) -> tuple[torch.Tensor, object]:
        """Logits cropped to the input's size, and whatever else :meth:`forward_padded` returned (or ``None``)."""
        height, width = x.shape[-2:]
        out = self.forward_padded(pad_to_stride(x, self.stride))
        logits, extras = out if isinstance(out, tuple) else (out, None)
        return logits[..., :height, :width], extras

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Person logits (N, 1, H, W) for an RGB batch (N, 3, H, W) in [0, 1] of any size.

        Example:
            >>> from bgremover import create_model
            >>> model = create_model("unet", "resnet18", encoder_weights=None).eval()
            >>> model(torch.rand(2, 3, 50, 70)).shape
            torch.Size([2, 1, 50, 70])
        """
        return self.forward_with_extras(x)[0]
