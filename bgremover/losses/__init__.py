"""Losses on (B, 1, H, W) logits against binary or soft targets: functional and module forms."""

from bgremover.losses.bce import BCELoss, bce_loss
from bgremover.losses.composite import CompositeLoss, fill_ignored
from bgremover.losses.dice import DiceLoss, dice_loss
from bgremover.losses.distillation import DistillationLoss, distillation_loss, teacher_logits
from bgremover.losses.edge import EdgeLoss, edge_loss, sobel_magnitude
from bgremover.losses.perceptual import PerceptualLoss, load_vgg16_features, perceptual_loss

__all__ = [
    "BCELoss",
    "CompositeLoss",
    "DiceLoss",
    "DistillationLoss",
    "EdgeLoss",
    "PerceptualLoss",
    "bce_loss",
    "dice_loss",
    "distillation_loss",
    "edge_loss",
    "fill_ignored",
    "load_vgg16_features",
    "perceptual_loss",
    "sobel_magnitude",
    "teacher_logits",
]
