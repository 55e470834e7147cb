"""Export to ONNX (dynamic height and width, normalisation inside the graph)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn

from bgremover.extras import require
from bgremover.hub import load_network

ONNX_OPSET = 17


class ProbabilityHead(nn.Module):
    """Wraps a network so the exported graph maps RGB in [0, 1] to person probability."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.network(image))


def export_onnx(source: str | os.PathLike | nn.Module | None, path: str | os.PathLike, opset: int = ONNX_OPSET) -> Path:
    """Write ``source`` (a model source or network) as ONNX: input ``image`` (N, 3, H, W) float RGB
    in [0, 1], output ``alpha`` (N, 1, H, W) probabilities; N, H and W are dynamic.

    Example:
        >>> from bgremover.deploy.export import export_onnx
        >>> export_onnx(None, "bgremover.onnx")  # doctest: +SKIP
    """
    network = source if isinstance(source, nn.Module) else load_network(source)
    model = ProbabilityHead(network.eval()).eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.rand(1, 3, 320, 256)
    with warnings.catch_warnings():
        # the input check (4-D, 3 channels) is constant for every image the graph will see
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        _export(model, dummy, path, opset)
    return path


def _export(model: nn.Module, dummy: torch.Tensor, path: Path, opset: int) -> None:
    require("onnx", "runtimes", "exporting to ONNX")
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=["alpha"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "alpha": {0: "batch", 2: "height", 3: "width"}},
        opset_version=opset,
        dynamo=False,
    )
