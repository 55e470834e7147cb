"""Known-answer tests for every metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from bgremover import metrics as M
from tests.conftest import DATA, WEIGHTS, require_shared

GT = np.zeros((10, 10))
GT[2:8, 2:8] = 1  # 36 pixels


def shifted(mask: np.ndarray, dx: int) -> np.ndarray:
    out = np.zeros_like(mask)
    out[:, dx:] = mask[:, : mask.shape[1] - dx]
    return out


def test_perfect_prediction():
    m = M.image_metrics(GT, GT)
    for key in (
        "iou",
        "dice",
        "pixel_accuracy",
        "sensitivity",
        "specificity",
        "precision",
        "f1",
        "trimap_accuracy",
        "boundary_f",
    ):
        assert m[key] == 1.0, key
    assert m["sad"] == m["mse"] == m["gradient_error"] == 0.0


def test_both_empty_is_defined():
    empty = np.zeros((10, 10))
    m = M.image_metrics(empty, empty)
    assert all(not math.isnan(v) for v in m.values())
    assert m["iou"] == m["dice"] == m["precision"] == m["sensitivity"] == m["boundary_f"] == 1.0


def test_empty_prediction():
    m = M.image_metrics(np.zeros((10, 10)), GT)
    assert m["iou"] == m["dice"] == m["sensitivity"] == m["precision"] == m["boundary_f"] == 0.0
    assert m["specificity"] == 1.0
    assert m["pixel_accuracy"] == pytest.approx(64 / 100)
    assert m["sad"] == pytest.approx(36 / 1000)
    assert m["mse"] == pytest.approx(0.36)


def test_disjoint():
    pred = np.zeros((10, 10))
    pred[0, :] = 1  # 10 pixels, none in GT
    m = M.image_metrics(pred, GT)
    assert m["iou"] == m["dice"] == m["precision"] == m["sensitivity"] == 0.0
    assert m["specificity"] == pytest.approx(54 / 64)
    assert m["pixel_accuracy"] == pytest.approx(54 / 100)


def test_half_overlap():
    gt = np.zeros((4, 4))
    gt[:, :2] = 1  # 8 px
    pred = np.zeros((4, 4))
    pred[:, 1:3] = 1  # 8 px, 4 shared
    m = M.image_metrics(pred, gt)
    assert m["iou"] == pytest.approx(4 / 12)
    assert m["dice"] == pytest.approx(8 / 16)
    assert m["precision"] == m["sensitivity"] == pytest.approx(0.5)
    assert m["specificity"] == pytest.approx(4 / 8)
    assert m["f1"] == pytest.approx(0.5)


def test_one_pixel_shift():
    pred = shifted(GT, 1)
    m = M.image_metrics(pred, GT)
    assert m["iou"] == pytest.approx(30 / 42)
    assert m["sad"] == pytest.approx(12 / 1000)
    assert m["boundary_f"] == 1.0  # within the DAVIS tolerance of 1 px


@pytest.mark.parametrize("dx", [0, 1, 2, 3])
def test_dice_iou_relation(dx):
    m = M.image_metrics(shifted(GT, dx), GT)
    assert m["dice"] == pytest.approx(2 * m["iou"] / (1 + m["iou"]))


def test_threshold_at_half():
    soft = GT * 0.6 + (1 - GT) * 0.4
    assert M.iou(soft, GT) == 1.0
    assert M.sad(soft, GT) == pytest.approx(100 * 0.4 / 1000)


def test_trimap_accuracy_counts_only_band():
    gt = np.zeros((40, 40))
    gt[:, 20:] = 1
    pred = gt.copy()
    pred[:, 0:5] = 1  # errors far from the edge: outside a 3 px band
    assert M.trimap_accuracy(pred, gt, width=3) == 1.0
    pred = gt.copy()
    pred[:, 19] = 1  # one column wrong inside the band
    band = M.trimap_band(gt, 3)
    assert M.trimap_accuracy(pred, gt, width=3) == pytest.approx(1 - 40 / band.sum())


def test_boundary_f_far_shift_fails():
    gt = np.zeros((100, 100))
    gt[20:80, 20:80] = 1
    assert M.boundary_f(shifted(gt, 10), gt) < 0.6
    assert M.boundary_f(shifted(gt, 1), gt) == 1.0


def test_gradient_error_analytic_step():
    # |∇(step * G_σ)| is a Gaussian of height 1/(√(2π)σ); Σ over a row of its square = 1/(2√π σ).
    height, sigma = 50, 1.4
    gt = np.zeros((height, 60))
    gt[:, 30:] = 1
    expected = height / (2 * math.sqrt(math.pi) * sigma) / 1000
    assert M.gradient_error(np.zeros_like(gt), gt) == pytest.approx(expected, rel=0.03)  # sampling error


def test_ssim_perfect_and_worse():
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3))
    gt = np.zeros((32, 32))
    gt[8:24, 8:24] = 1
    assert M.ssim(gt, gt, image) == pytest.approx(1.0)
    assert M.ssim(np.zeros_like(gt), gt, image) < 0.9
    # nothing differs where the image is the grey the composites use
    assert M.ssim(np.zeros_like(gt), gt, np.full((32, 32, 3), 128)) == pytest.approx(1.0)


def test_accumulator_micro_and_mean():
    acc = M.MetricAccumulator()
    acc.update("a", GT, GT)
    acc.update("b", shifted(GT, 2), GT)
    summary = acc.summary()
    assert summary["count"] == 2
    assert summary["mean"]["iou"] == pytest.approx((1 + 24 / 48) / 2)
    assert summary["micro"]["iou"] == pytest.approx((36 + 24) / (36 + 48))


def test_shape_mismatch_is_clear():
    with pytest.raises(ValueError, match="equal shape"):
        M.iou(np.zeros((3, 3)), np.zeros((3, 4)))


@pytest.fixture(scope="module")
def lpips_metric():
    require_shared(WEIGHTS)  # LPIPS's AlexNet and its linear layers
    return M.LPIPS()


def test_lpips_known_answer(lpips_metric):
    folder = DATA / "lpips_known_answer"
    load = lambda name: np.asarray(Image.open(folder / name).convert("RGB"))  # noqa: E731
    ref = load("ex_ref.png")
    assert round(lpips_metric.distance_images(ref, load("ex_p0.png")), 3) == 0.722
    assert round(lpips_metric.distance_images(ref, load("ex_p1.png")), 3) == 0.138


def test_lpips_on_composites(lpips_metric):
    image = np.random.default_rng(1).integers(0, 256, (64, 64, 3))
    gt = np.zeros((64, 64))
    gt[16:48, 16:48] = 1
    assert lpips_metric(gt, gt, image) == pytest.approx(0.0, abs=1e-6)
    assert lpips_metric(np.zeros_like(gt), gt, image) > 0.05
