"""Metrics on alpha/probability maps in [0, 1] against binary or alpha ground truth (numpy)."""

from bgremover.metrics.boundary import boundary_f, boundary_map, trimap_accuracy, trimap_band
from bgremover.metrics.classification import (
    Confusion,
    confusion,
    dice,
    f1,
    iou,
    pixel_accuracy,
    precision,
    scores_from_confusion,
    sensitivity,
    specificity,
)
from bgremover.metrics.matting import gradient_error, gradient_magnitude, mse, sad
from bgremover.metrics.perceptual import LPIPS, composite_on_grey, ssim
from bgremover.metrics.suite import MetricAccumulator, image_metrics
from bgremover.metrics.temporal import dtssd, flicker, moving_edge_band

__all__ = [
    "LPIPS",
    "Confusion",
    "MetricAccumulator",
    "boundary_f",
    "boundary_map",
    "composite_on_grey",
    "confusion",
    "dice",
    "dtssd",
    "f1",
    "flicker",
    "gradient_error",
    "gradient_magnitude",
    "image_metrics",
    "iou",
    "moving_edge_band",
    "mse",
    "pixel_accuracy",
    "precision",
    "sad",
    "scores_from_confusion",
    "sensitivity",
    "specificity",
    "ssim",
    "trimap_accuracy",
    "trimap_band",
]
