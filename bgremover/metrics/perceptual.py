"""SSIM and LPIPS between the cut-outs of prediction and ground truth over flat grey (128). LPIPS
imports torch when it is made; the rest of :mod:`bgremover.metrics` is numpy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bgremover.metrics.classification import check_maps
from bgremover.weights import load_state_dict, local_weight_file

if TYPE_CHECKING:
    import torch

GREY = 128.0


def composite_on_grey(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``alpha·image + (1 − alpha)·128`` as float64 H×W×3 in [0, 255]."""
    a = alpha.astype(np.float64)[..., None]
    return a * image.astype(np.float64) + (1 - a) * GREY


def ssim(pred: np.ndarray, gt: np.ndarray, image: np.ndarray) -> float:
    """SSIM (scikit-image, colour, data range 255) of the two grey composites.

    Example:
        >>> img = np.random.default_rng(0).integers(0, 255, (16, 16, 3))
        >>> gt = np.zeros((16, 16)); gt[4:12, 4:12] = 1
        >>> ssim(gt, gt, img)
        1.0
    """
    from skimage.metrics import structural_similarity  # scikit-image comes with the train extra

    check_maps(pred, gt)
    return float(
        structural_similarity(
            composite_on_grey(image, pred), composite_on_grey(image, gt), channel_axis=2, data_range=255.0
        )
    )


class LPIPS:
    """LPIPS v0.1 (AlexNet backbone) between grey composites; lower is more similar.

    The backbone comes from the local weights directory
    (``perceptual/alexnet_features.*.safetensors``) when set, else torchvision's download.

    Example:
        >>> metric = LPIPS()  # doctest: +SKIP
        >>> metric.distance_images(ref, other)  # doctest: +SKIP
    """

    def __init__(self, device: str | torch.device = "cpu"):
        import lpips
        import torch

        local = local_weight_file("perceptual", "alexnet_features.*.safetensors")
        self.model = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=local is not None, verbose=False)
        if local is not None:
            state = load_state_dict(local)
            for name, param in self.model.net.named_parameters():  # slice{k}.{i}.{weight|bias}
                _, index, kind = name.split(".")
                param.data.copy_(state[f"{index}.{kind}"])
        self.model.eval().requires_grad_(False).to(device)
        self.device = torch.device(device)

    def distance_images(self, a: np.ndarray, b: np.ndarray) -> float:
        """LPIPS of two RGB H×W×3 arrays with values in [0, 255]."""
        import torch

        def to_tensor(x: np.ndarray) -> torch.Tensor:
            t = torch.as_tensor(np.asarray(x, dtype=np.float32)).permute(2, 0, 1)[None]
            return (t / 127.5 - 1.0).to(self.device)

        with torch.no_grad():
            return float(self.model(to_tensor(a), to_tensor(b)).item())

    def __call__(self, pred: np.ndarray, gt: np.ndarray, image: np.ndarray) -> float:
        """LPIPS of the grey composites of ``image`` with ``pred`` and with ``gt``."""
        check_maps(pred, gt)
        return self.distance_images(composite_on_grey(image, pred), composite_on_grey(image, gt))
