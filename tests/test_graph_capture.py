"""Every registered architecture captures as one graph: ``torch.export`` (what ONNX export and
serving stacks build on) and ``torch.compile(fullgraph=True)`` give the eager model's output."""

from __future__ import annotations

import pytest
import torch

from bgremover import ARCHITECTURES, create_model


@pytest.fixture(params=sorted(ARCHITECTURES))
def tiny(request):
    torch.manual_seed(0)
    width = 32 if request.param == "deeplabv3plus" else (32, 16, 16, 8, 8)  # DeepLabV3+ has one decoder width
    model = create_model(request.param, "resnet18", encoder_weights=None, decoder_channels=width)
    return model.eval()


def test_torch_export_matches_eager(tiny):
    x = torch.rand(1, 3, 64, 96)
    exported = torch.export.export(tiny, (x,))
    with torch.no_grad():
        assert torch.allclose(exported.module()(x), tiny(x), atol=1e-5)


def test_torch_compile_captures_one_graph(tiny):
    x = torch.rand(2, 3, 64, 64)
    compiled = torch.compile(tiny, backend="aot_eager", fullgraph=True)  # fails on any graph break
    with torch.no_grad():
        assert torch.allclose(compiled(x), tiny(x), atol=1e-5)


def test_deeplabv3plus_asks_for_one_decoder_width():
    from bgremover.errors import UsageError

    with pytest.raises(UsageError, match=r"deeplabv3plus takes one decoder width \(an int\), got \(32, 16\)"):
        create_model("deeplabv3plus", "resnet18", encoder_weights=None, decoder_channels=(32, 16))
