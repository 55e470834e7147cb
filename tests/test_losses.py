"""Known answers, zero at the target, and finite gradients for every loss."""

from __future__ import annotations

import math

import pytest
import torch

from bgremover.losses import (
    BCELoss,
    CompositeLoss,
    DiceLoss,
    EdgeLoss,
    PerceptualLoss,
    bce_loss,
    dice_loss,
    edge_loss,
    sobel_magnitude,
    teacher_logits,
)
from tests.conftest import WEIGHTS, require_shared

TARGET = torch.zeros(2, 1, 16, 16)
TARGET[:, :, 4:12, 4:12] = 1
PERFECT = (TARGET * 2 - 1) * 30  # logits whose sigmoid is the target to 1e-13


def test_bce_known_value():
    assert bce_loss(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)).item() == pytest.approx(math.log(2))
    logits = torch.tensor([[[[2.0, -1.0]]]])
    target = torch.tensor([[[[1.0, 0.0]]]])
    expected = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1))) / 2
    assert BCELoss()(logits, target).item() == pytest.approx(expected, rel=1e-6)


def test_dice_known_value():
    logits = torch.full((1, 1, 2, 2), -100.0)
    assert dice_loss(logits, torch.ones(1, 1, 2, 2), smooth=1.0).item() == pytest.approx(1 - 1 / 5)
    half = torch.zeros(1, 1, 1, 2)  # p = 0.5 everywhere
    target = torch.tensor([[[[1.0, 0.0]]]])
    assert DiceLoss(smooth=0.0)(half, target).item() == pytest.approx(1 - 2 * 0.5 / (1.0 + 1.0))


def test_sobel_known_value():
    step = torch.zeros(1, 1, 5, 6)
    step[..., 3:] = 1
    mag = sobel_magnitude(step, eps=0.0)
    assert mag[0, 0, 2].tolist() == [0.0, 0.0, 4.0, 4.0, 0.0, 0.0]


def test_edge_known_value():
    # prediction 0.5 everywhere has no edges; the loss is the target's mean Sobel magnitude
    target = torch.zeros(1, 1, 5, 6)
    target[..., 3:] = 1
    expected = sobel_magnitude(target).mean().item()
    assert EdgeLoss()(torch.zeros_like(target), target).item() == pytest.approx(expected, abs=1e-3)
    assert expected == pytest.approx(4 * 2 * 5 / 30, abs=1e-3)


@pytest.mark.parametrize("fn", [bce_loss, dice_loss, edge_loss])
def test_zero_at_target(fn):
    assert fn(PERFECT, TARGET).item() == pytest.approx(0.0, abs=1e-3)


class Ramp(torch.nn.Module):
    """A 'teacher' whose logit is the column index, whatever the image."""

    def forward(self, x):
        return torch.arange(x.shape[-1], dtype=torch.float32).expand(x.shape[0], 1, *x.shape[-2:])


class Red(torch.nn.Module):
    """A 'teacher' whose logit is ten times the red channel."""

    def forward(self, x):
        return 10 * x[:, :1]


def test_teacher_flip_averages_the_mirrored_pass():
    logits = teacher_logits(Ramp(), torch.rand(2, 3, 4, 5), flip=True)
    torch.testing.assert_close(logits, torch.full((2, 1, 4, 5), 2.0))  # (j + (4 - j)) / 2
    assert teacher_logits(Ramp(), torch.rand(1, 3, 4, 5))[0, 0, 0].tolist() == [0, 1, 2, 3, 4]


def test_teacher_scale_resizes_in_and_back():
    gradient = torch.linspace(0, 1, 32).expand(1, 3, 24, 32).contiguous()  # smooth: resizing keeps it
    for scale in (0.5, 1.5, 2.0):
        logits = teacher_logits(Red(), gradient, scale=scale)
        assert logits.shape == (1, 1, 24, 32)
        torch.testing.assert_close(logits[..., 2:-2], 10 * gradient[:, :1, :, 2:-2], atol=0.02, rtol=0)
    with pytest.raises(ValueError, match="scale must be positive"):
        teacher_logits(Red(), gradient, scale=0.0)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        teacher_logits(Red(), gradient[0])


@pytest.fixture(scope="module")
def perceptual():
    require_shared(WEIGHTS / "perceptual")
    return PerceptualLoss()  # ImageNet VGG16 from the local weights dir


def test_perceptual_zero_at_target_and_positive_otherwise(perceptual):
    image = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    assert perceptual(PERFECT, TARGET, image).item() == pytest.approx(0.0, abs=1e-4)
    assert perceptual(-PERFECT, TARGET, image).item() > 0.1


def test_perceptual_uses_imagenet_weights(perceptual):
    from safetensors.torch import load_file

    state = load_file(WEIGHTS / "perceptual" / "vgg16_features_relu4_3.in1k.safetensors")
    assert torch.equal(perceptual.vgg[0].weight, state["0.weight"])
    assert not any(p.requires_grad for p in perceptual.vgg.parameters())


def test_perceptual_shape_check(perceptual):
    with pytest.raises(ValueError, match="image must have shape"):
        perceptual(PERFECT, TARGET, torch.rand(2, 3, 8, 8))


def test_shape_checks_are_clear():
    with pytest.raises(ValueError, match="does not match"):
        bce_loss(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5))
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        dice_loss(torch.zeros(4, 4), torch.zeros(4, 4))


def test_composite_weights_and_terms(perceptual):
    logits = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(1), requires_grad=True)
    image = torch.rand(2, 3, 16, 16)
    loss = CompositeLoss(perceptual_size=None)
    total, terms = loss(logits, TARGET, image)
    assert sorted(terms) == ["bce", "dice", "edge", "perceptual"]
    expected = terms["bce"] + terms["dice"] + 0.5 * terms["perceptual"] + 0.3 * terms["edge"]
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    total.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_composite_zero_at_target():
    total, _ = CompositeLoss(perceptual=0.0)(PERFECT, TARGET)
    assert total.item() == pytest.approx(0.0, abs=5e-3)


@pytest.mark.parametrize("fn", [bce_loss, dice_loss, edge_loss])
def test_finite_gradients(fn):
    logits = torch.randn(2, 1, 16, 16, requires_grad=True)
    fn(logits, TARGET).backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
