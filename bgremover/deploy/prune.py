"""Magnitude pruning of conv layers with ``torch.nn.utils.prune``.

Pruning here zeroes weights in place: the tensors keep their shapes, so parameter count, file
size (unless compressed) and dense CPU latency do not change — :func:`prune_report` says so in
numbers. Structured pruning zeroes whole output channels (L2 norm), unstructured single weights.
For a fine-tune the masks stay attached (``permanent=False``) so the zeros survive the optimiser;
``save_pretrained`` of a masked model writes the permanent weights (:func:`make_permanent`).

Example:
    >>> from bgremover import create_model
    >>> model = create_model("attention_unet", "resnet18", encoder_weights=None)
    >>> report = prune_model(model, amount=0.3, structured=True)
    >>> 0.29 < report["zeroed_channel_fraction"] < 0.31
    True
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

from bgremover.errors import UsageError


def prunable_convs(model: nn.Module, decoder_only: bool = False) -> list[tuple[str, nn.Conv2d]]:
    """Conv layers with more than one output channel (the 1-channel head and gates are kept)."""
    return [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, nn.Conv2d)
        and module.out_channels > 1
        and module.groups == 1
        and not (decoder_only and name.startswith("encoder"))
    ]


def prune_model(
    model: nn.Module, amount: float, structured: bool = True, decoder_only: bool = False, permanent: bool = True
) -> dict:
    """Prune ``amount`` of each conv's output channels (structured, L2) or weights (unstructured, L1);
    ``permanent`` removes the masks (``prune.remove``), else they stay for a fine-tune.
    Returns :func:`prune_report`."""
    if not 0.0 <= amount < 1.0:
        raise UsageError(f"amount must be in [0, 1), got {amount}")
    for _, conv in prunable_convs(model, decoder_only):
        if structured:
            prune.ln_structured(conv, "weight", amount=amount, n=2, dim=0)
        else:
            prune.l1_unstructured(conv, "weight", amount=amount)
    if permanent:
        make_permanent(model)
    return prune_report(model, decoder_only)


def pruning_masks(model: nn.Module) -> list[tuple[nn.Module, str]]:
    """(module, parameter name) of every pruning mask attached to ``model``."""
    return [
        (module, hook._tensor_name)
        for module in model.modules()
        for hook in module._forward_pre_hooks.values()
        if isinstance(hook, prune.BasePruningMethod)
    ]


def make_permanent(model: nn.Module) -> nn.Module:
    """Fold every pruning mask into its weight and drop the mask (in place)."""
    for module, name in pruning_masks(model):
        prune.remove(module, name)
    return model


@torch.no_grad()
def prune_report(model: nn.Module, decoder_only: bool = False) -> dict:
    """Zeroed weights and output channels of the prunable convs, and whether any were removed."""
    total = zeros = channels = zero_channels = 0
    for _, conv in prunable_convs(model, decoder_only):
        weight = conv.weight
        total += weight.numel()
        zeros += int((weight == 0).sum())
        norms = weight.flatten(1).abs().sum(1)
        channels += norms.numel()
        zero_channels += int((norms == 0).sum())
    return {
        "zeroed_weight_fraction": zeros / max(total, 1),
        "zeroed_channel_fraction": zero_channels / max(channels, 1),
        "parameters": sum(p.numel() for p in model.parameters()),
        "channels_removed": False,  # tensors keep their shapes: dense kernels run at the same speed
    }
