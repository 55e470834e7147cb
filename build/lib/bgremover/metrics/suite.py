"""The full metric suite per image, accumulated over a dataset (micro and per-image mean)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bgremover.metrics.boundary import boundary_f, trimap_accuracy
from bgremover.metrics.classification import Confusion, check_maps, confusion, scores_from_confusion
from bgremover.metrics.matting import gradient_error, mse, sad
from bgremover.metrics.perceptual import LPIPS, ssim

CONFUSION_METRICS = ("iou", "dice", "pixel_accuracy", "sensitivity", "specificity", "precision", "f1")


def image_metrics(
    pred: np.ndarray,
    gt: np.ndarray,
    image: np.ndarray | None = None,
    lpips: LPIPS | None = None,
    trimap_width: int = 10,
    boundary_tolerance: float = 0.008,
) -> dict[str, float]:
    """Every metric of one prediction (alpha in [0, 1]) against its ground truth.

    SSIM needs ``image``; LPIPS needs ``image`` and an :class:`LPIPS` instance.

    Example:
        >>> gt = np.zeros((32, 32)); gt[8:24, 8:24] = 1
        >>> m = image_metrics(gt, gt)
        >>> m["iou"], m["sad"], m["boundary_f"]
        (1.0, 0.0, 1.0)
    """
    check_maps(pred, gt)
    scores = scores_from_confusion(confusion(pred, gt))
    scores["trimap_accuracy"] = trimap_accuracy(pred, gt, trimap_width)
    scores["boundary_f"] = boundary_f(pred, gt, boundary_tolerance)
    scores["sad"] = sad(pred, gt)
    scores["mse"] = mse(pred, gt)
    scores["gradient_error"] = gradient_error(pred, gt)
    if image is not None:
        scores["ssim"] = ssim(pred, gt, image)
        if lpips is not None:
            scores["lpips"] = lpips(pred, gt, image)
    return scores


@dataclass
class MetricAccumulator:
    """Collects per-image metrics; :meth:`summary` gives per-image means and micro (pooled) scores.

    Example:
        >>> acc = MetricAccumulator()
        >>> gt = np.zeros((4, 4)); gt[:2] = 1
        >>> _ = acc.update("a", gt, gt); _ = acc.update("b", np.zeros((4, 4)), gt)
        >>> s = acc.summary()
        >>> s["mean"]["iou"], s["micro"]["iou"]
        (0.5, 0.5)
    """

    trimap_width: int = 10
    boundary_tolerance: float = 0.008
    lpips: LPIPS | None = None
    per_image: dict[str, dict[str, float]] = field(default_factory=dict)
    totals: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    def update(self, name: str, pred: np.ndarray, gt: np.ndarray, image: np.ndarray | None = None) -> dict[str, float]:
        """Score one image, remember it under ``name`` and return its metrics."""
        scores = image_metrics(pred, gt, image, self.lpips, self.trimap_width, self.boundary_tolerance)
        for i, count in enumerate(confusion(pred, gt)):
            self.totals[i] += count
        self.per_image[name] = scores
        return scores

    def summary(self) -> dict[str, dict[str, float]]:
        """``{"mean": per-image means, "std": their std, "micro": pooled confusion scores, "count": n}``."""
        if not self.per_image:
            return {"mean": {}, "std": {}, "micro": {}, "count": 0}
        names = list(next(iter(self.per_image.values())))
        values = {n: np.array([s[n] for s in self.per_image.values()]) for n in names}
        return {
            "mean": {n: float(v.mean()) for n, v in values.items()},
            "std": {n: float(v.std()) for n, v in values.items()},
            "micro": scores_from_confusion(Confusion(*self.totals)),
            "count": len(self.per_image),
        }
