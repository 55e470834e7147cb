"""VGG16 perceptual loss on cut-outs (alpha · image) of prediction and target."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from bgremover.errors import UsageError
from bgremover.losses._checks import check_pair
from bgremover.weights import WeightsUnavailableError, load_state_dict, local_weight_file

VGG_LAYERS = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load_vgg16_features(weights: str | None = "imagenet") -> nn.Sequential:
    """``torchvision.models.vgg16().features[:23]``, frozen and in eval mode.

    ``"imagenet"``: the local file ``perceptual/vgg16_features_relu4_3.*.safetensors`` in the
    weights directory if set, else torchvision's download; a path: that file; ``None``: random.
    """
    features = torchvision.models.vgg16().features[: VGG_LAYERS["relu4_3"] + 1]
    if weights == "imagenet":
        local = local_weight_file("perceptual", "vgg16_features_relu4_3.*.safetensors")
        if local is None:
            try:
                full = torchvision.models.vgg16(weights=torchvision.models.VGG16_Weights.IMAGENET1K_V1)
            except Exception as err:
                raise WeightsUnavailableError(
                    f"cannot download VGG16 ImageNet weights ({err}). Set BGREMOVER_WEIGHTS_DIR to a "
                    "folder with perceptual/vgg16_features_relu4_3.in1k.safetensors, or set the "
                    "perceptual weight to 0."
                ) from err
            state = {k: v for k, v in full.features.state_dict().items() if int(k.split(".")[0]) <= 22}
        else:
            state = load_state_dict(local)
        features.load_state_dict(state, strict=True)
    elif weights is not None:
        features.load_state_dict(load_state_dict(weights), strict=True)
    features.eval().requires_grad_(False)
    return features


class PerceptualLoss(nn.Module):
    """Mean L1 distance of VGG16 relu1_2/2_2/3_3/4_3 features of the two cut-outs.

    ``forward(logits, target, image)``: image is RGB in [0, 1], (B, 3, H, W); the cut-outs are
    σ(logits)·image and target·image, ImageNet-normalised. ``size`` resizes the cut-outs first
    (the VGG pass dominates CPU training cost; 160 keeps most of the signal at ~1/3 the cost).

    Example:
        >>> loss = PerceptualLoss(weights=None)
        >>> target = torch.ones(1, 1, 32, 32)
        >>> loss(target * 100, target, torch.rand(1, 3, 32, 32)).item() < 1e-3
        True
    """

    def __init__(self, weights: str | None = "imagenet", size: int | None = None):
        super().__init__()
        self.vgg = load_vgg16_features(weights)
        self.size = size
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> PerceptualLoss:
        super().train(mode)
        self.vgg.eval()
        return self

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        if self.size is not None and max(x.shape[-2:]) > self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        x = (x - self.mean) / self.std
        out = []
        for i, layer in enumerate(self.vgg):
            x = layer(x)
            if i in VGG_LAYERS.values():
                out.append(x)
        return out

    def forward(self, logits: torch.Tensor, target: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        check_pair(logits, target)
        if image.shape[0] != logits.shape[0] or image.shape[1] != 3 or image.shape[-2:] != logits.shape[-2:]:
            raise UsageError(
                f"image must have shape (B, 3, H, W) matching logits {tuple(logits.shape)}, got {tuple(image.shape)}"
            )
        pred_cut = torch.sigmoid(logits) * image
        with torch.no_grad():
            target_feats = self._features(target.to(image.dtype) * image)
        pred_feats = self._features(pred_cut)
        return torch.stack([(p - t).abs().mean() for p, t in zip(pred_feats, target_feats, strict=True)]).mean()


def perceptual_loss(
    logits: torch.Tensor, target: torch.Tensor, image: torch.Tensor, weights: str | None = "imagenet"
) -> torch.Tensor:
    """Functional form of :class:`PerceptualLoss` (builds the VGG each call; prefer the module)."""
    return PerceptualLoss(weights).to(logits.device)(logits, target, image)
