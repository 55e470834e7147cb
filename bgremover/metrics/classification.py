"""Confusion-matrix metrics on alpha/probability maps thresholded at 0.5.

Convention for empty cases: a ratio whose denominator is 0 is 1.0 when prediction and ground
truth agree (e.g. both masks empty), else 0.0 — never NaN.

Example:
    >>> import numpy as np
    >>> pred = np.array([[1.0, 1.0], [0.0, 0.0]]); gt = np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> iou(pred, gt), round(dice(pred, gt), 4)
    (0.5, 0.6667)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bgremover.errors import UsageError

THRESHOLD = 0.5


class Confusion(NamedTuple):
    """Pixel counts of a binary comparison."""

    tp: int
    fp: int
    fn: int
    tn: int


def check_maps(pred: np.ndarray, gt: np.ndarray) -> None:
    """Require two 2-D maps of equal shape."""
    if pred.ndim != 2 or gt.shape != pred.shape:
        raise UsageError(f"expected two H×W maps of equal shape, got {pred.shape} and {gt.shape}")


def confusion(pred: np.ndarray, gt: np.ndarray, threshold: float = THRESHOLD) -> Confusion:
    """TP/FP/FN/TN counts of ``pred >= threshold`` against ``gt >= threshold``."""
    check_maps(pred, gt)
    p, g = pred >= threshold, gt >= threshold
    tp = int(np.count_nonzero(p & g))
    fp = int(np.count_nonzero(p & ~g))
    fn = int(np.count_nonzero(~p & g))
    return Confusion(tp, fp, fn, p.size - tp - fp - fn)


def safe_ratio(numerator: float, denominator: float, agree: bool) -> float:
    """``numerator / denominator``, or 1.0/0.0 (agree/disagree) when the denominator is 0."""
    return numerator / denominator if denominator else float(agree)


def scores_from_confusion(c: Confusion) -> dict[str, float]:
    """IoU, Dice, pixel accuracy, sensitivity, specificity, precision and F1 of counts ``c``."""
    agree = c.fp == 0 and c.fn == 0
    precision = safe_ratio(c.tp, c.tp + c.fp, agree)
    sensitivity = safe_ratio(c.tp, c.tp + c.fn, agree)
    dice_value = safe_ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, agree)
    return {
        "iou": safe_ratio(c.tp, c.tp + c.fp + c.fn, agree),
        "dice": dice_value,
        "pixel_accuracy": safe_ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn, agree),
        "sensitivity": sensitivity,
        "specificity": safe_ratio(c.tn, c.tn + c.fp, agree),
        "precision": precision,
        "f1": dice_value,
    }


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Intersection over union of the person masks."""
    return scores_from_confusion(confusion(pred, gt))["iou"]


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice coefficient 2|P∩G| / (|P| + |G|); equals 2·IoU / (1 + IoU)."""
    return scores_from_confusion(confusion(pred, gt))["dice"]


def pixel_accuracy(pred: np.ndarray, gt: np.ndarray) -> float:
    """Share of pixels whose class is right."""
    return scores_from_confusion(confusion(pred, gt))["pixel_accuracy"]


def sensitivity(pred: np.ndarray, gt: np.ndarray) -> float:
    """Recall of person pixels, TP / (TP + FN)."""
    return scores_from_confusion(confusion(pred, gt))["sensitivity"]


def specificity(pred: np.ndarray, gt: np.ndarray) -> float:
    """Recall of background pixels, TN / (TN + FP)."""
    return scores_from_confusion(confusion(pred, gt))["specificity"]


def precision(pred: np.ndarray, gt: np.ndarray) -> float:
    """TP / (TP + FP)."""
    return scores_from_confusion(confusion(pred, gt))["precision"]


def f1(pred: np.ndarray, gt: np.ndarray) -> float:
    """Harmonic mean of precision and sensitivity (equal to Dice for binary masks)."""
    return scores_from_confusion(confusion(pred, gt))["f1"]
