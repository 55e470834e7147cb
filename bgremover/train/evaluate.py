"""Validation: the metric suite over a dataset of (image, mask) tensors."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from bgremover.metrics import MetricAccumulator
from bgremover.train.precision import autocast_context


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, device: torch.device, amp: bool = False, batch_size: int = 4) -> dict:
    """Per-image metrics (with SSIM, without LPIPS) and their summary for ``dataset``."""
    was_training = model.training
    model.eval()
    accumulator = MetricAccumulator()
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=0, generator=torch.Generator())  # no global RNG use
    stems = getattr(dataset, "stems", None)
    seen = 0
    for images, masks in loader:
        with autocast_context(device, amp):
            probs = torch.sigmoid(model(images.to(device)).float()).cpu().numpy()
        for prob, mask, image in zip(probs, masks.numpy(), images.numpy(), strict=True):
            name = stems[seen] if stems else str(seen)
            rgb = (np.transpose(image, (1, 2, 0)) * 255.0).round()
            accumulator.update(name, prob[0], mask[0], rgb)
            seen += 1
    model.train(was_training)
    return accumulator.summary()
