"""Boundary metrics: trimap-band accuracy and the DAVIS boundary F-measure."""

from __future__ import annotations

import math

import cv2
import numpy as np

from bgremover.metrics.classification import THRESHOLD, check_maps


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel inner boundary of a binary mask (pixels of the mask with a 4-neighbour outside).

    Example:
        >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True
        >>> int(boundary_map(m).sum())
        8
    """
    mask = mask.astype(np.uint8)
    eroded = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)), borderType=cv2.BORDER_REPLICATE)
    return (mask - eroded).astype(bool)


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def trimap_band(gt: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` pixels of the ground truth's edge (dilation minus erosion)."""
    mask = (gt >= THRESHOLD).astype(np.uint8)
    kernel = _disk(width)
    dilated = cv2.dilate(mask, kernel, borderType=cv2.BORDER_REPLICATE)
    eroded = cv2.erode(mask, kernel, borderType=cv2.BORDER_REPLICATE)
    return dilated != eroded


def trimap_accuracy(pred: np.ndarray, gt: np.ndarray, width: int = 10) -> float:
    """Pixel accuracy inside the band of ``width`` pixels around the ground-truth edge.

    A ground truth without an edge (empty or full) has no band: the whole-image pixel accuracy
    is returned instead.

    Example:
        >>> gt = np.zeros((20, 20)); gt[:, 10:] = 1
        >>> trimap_accuracy(gt, gt, width=2)
        1.0
    """
    check_maps(pred, gt)
    band = trimap_band(gt, width)
    if not band.any():
        band = np.ones_like(band)
    return float(((pred >= THRESHOLD) == (gt >= THRESHOLD))[band].mean())


def boundary_f(pred: np.ndarray, gt: np.ndarray, tolerance: float = 0.008) -> float:
    """DAVIS boundary F-measure: boundaries matched within ``tolerance`` × image diagonal.

    Both boundaries empty gives 1.0; exactly one empty gives 0.0.

    Example:
        >>> gt = np.zeros((50, 50)); gt[10:40, 10:40] = 1
        >>> boundary_f(gt, gt), boundary_f(np.zeros_like(gt), gt)
        (1.0, 0.0)
    """
    check_maps(pred, gt)
    pred_b, gt_b = boundary_map(pred >= THRESHOLD), boundary_map(gt >= THRESHOLD)
    if not pred_b.any() and not gt_b.any():
        return 1.0
    if not pred_b.any() or not gt_b.any():
        return 0.0
    radius = max(1, math.ceil(tolerance * math.hypot(*pred.shape)))
    gt_zone = cv2.dilate(gt_b.astype(np.uint8), _disk(radius)).astype(bool)
    pred_zone = cv2.dilate(pred_b.astype(np.uint8), _disk(radius)).astype(bool)
    precision = (pred_b & gt_zone).sum() / pred_b.sum()
    recall = (gt_b & pred_zone).sum() / gt_b.sum()
    return float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0
