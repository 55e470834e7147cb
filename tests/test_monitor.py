"""Monitoring: drift detection, no-reference quality, anomalies, and the app's stats endpoint."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bgremover import load_model
from bgremover.data import SegmentationFolder
from bgremover.serve.monitor import DriftReference, Monitor, image_features, quality
from tests.conftest import CCP, DATA


@pytest.fixture(scope="module")
def segmenter():
    return load_model(device="cpu", working_size=256)


@pytest.fixture(scope="module")
def reference(segmenter):
    train = SegmentationFolder(CCP, split="trainval")
    extra = SegmentationFolder(DATA / "people_extra")  # as the shipped reference: CCP and people_extra
    images = [train.load(i)[0] for i in range(0, 800, 20)] + [extra.load(i)[0] for i in range(0, 273, 14)]
    return DriftReference.build(images, segmenter.predict)


@pytest.fixture(scope="module")
def held_out():
    test = SegmentationFolder(CCP, split="test")
    return [test.load(i)[0] for i in range(0, 200, 8)]  # 25 held-out photos


def run_window(reference, segmenter, images) -> dict:
    monitor = Monitor(reference, min_window=20)
    for rgb in images:
        monitor.record(rgb, segmenter.predict(rgb), latency_ms=1.0)
    return monitor.summary()["drift"]


def test_drift_alerts_on_shifted_batches_only(reference, segmenter, held_out):
    assert run_window(reference, segmenter, held_out)["alert"] is False
    davis = SegmentationFolder(DATA / "davis_person")  # ordinary video frames: no alert either
    assert run_window(reference, segmenter, [davis.load(i)[0] for i in range(0, 119, 5)])["alert"] is False
    under_exposed = [(rgb * 0.25).astype(np.uint8) for rgb in held_out]
    drift = run_window(reference, segmenter, under_exposed)
    assert drift["alert"] is True and {"brightness", "contrast"} <= set(drift["shifted"])
    blurred = [cv2.GaussianBlur(rgb, (0, 0), 6) for rgb in held_out]
    assert run_window(reference, segmenter, blurred)["shifted"] == ["sharpness"]


def test_ordinary_photos_pass_and_blank_frames_are_flagged(reference, segmenter, held_out):
    monitor = Monitor(reference)
    flagged = [monitor.record(rgb, segmenter.predict(rgb), 1.0)["anomalies"] for rgb in held_out]
    assert sum(bool(f) for f in flagged) <= 1, flagged  # at most 1 of 25 held-out photos
    blank = np.full((480, 640, 3), 200, np.uint8)
    record = monitor.record(blank, segmenter.predict(blank), 1.0)
    assert "empty mask" in record["anomalies"] and any(a.startswith("input drift") for a in record["anomalies"])
    assert reference.thresholds["quality_floor"] == pytest.approx(min(reference.quality_scores), abs=1e-4)


def test_reference_round_trip(reference, tmp_path):
    reference.save(tmp_path)
    loaded = DriftReference.load(tmp_path)
    assert loaded.samples == reference.samples and DriftReference.load(tmp_path / "none") is None


def test_quality_ranks_corrupted_mask_below_good(segmenter, held_out):
    rgb = held_out[0]
    good = segmenter.predict(rgb)
    rng = np.random.default_rng(0)
    speckled = np.clip(good + (rng.random(good.shape) < 0.02) * 1.0, 0, 1).astype(np.float32)
    blurred = cv2.GaussianBlur(good, (0, 0), 8)
    shifted = np.roll(good, good.shape[1] // 6, axis=1)
    for bad in (speckled, blurred, shifted):
        assert quality(rgb, bad)["score"] < quality(rgb, good)["score"]


def test_upside_down_portraits_are_flagged_upright_ones_are_not(reference, segmenter):
    """Webcam close-ups and portraits (CCP test people in held-out rooms), through the real model."""
    from bgremover_leaderboard import synthetic

    portraits = SegmentationFolder(synthetic.build(DATA))
    photos = [portraits.load(i)[0] for i in range(0, 200, 10)]  # 20 photos
    monitor = Monitor(reference)

    def flagged(images):
        return sum(
            any(a.startswith("upside down") for a in monitor.record(rgb, segmenter.predict(rgb), 1.0)["anomalies"])
            for rgb in images
        )

    assert flagged(photos) == 0
    turned = [np.ascontiguousarray(rgb[::-1, ::-1]) for rgb in photos]
    assert flagged(turned) >= 14  # 70 %: the rate benchmarks/monitor.py measures on turned web portraits


def test_anomaly_flags(reference):
    monitor = Monitor(reference)
    rgb = np.full((64, 64, 3), 128, np.uint8)
    assert "empty mask" in monitor.record(rgb, np.zeros((64, 64), np.float32), 5.0)["anomalies"]
    assert "whole-frame mask" in monitor.record(rgb, np.ones((64, 64), np.float32), 5.0)["anomalies"]
    fragments = np.zeros((64, 64), np.float32)
    fragments[::8, ::8] = 1
    fragments = cv2.dilate(fragments, np.ones((3, 3), np.uint8))
    assert "many fragments" in monitor.record(rgb, fragments, 5.0)["anomalies"]
    summary = monitor.summary()
    assert summary["requests"] == 3 and len(summary["recent_anomalies"]) == 3
    assert summary["latency_ms"]["p95"] == pytest.approx(5.0)


def test_latency_percentiles():
    monitor = Monitor()
    alpha = np.zeros((32, 32), np.float32)
    alpha[8:24, 8:24] = 1
    for latency in range(1, 101):
        monitor.record(np.full((32, 32, 3), 100, np.uint8), alpha, float(latency))
    lat = monitor.summary()["latency_ms"]
    assert lat["p50"] == pytest.approx(50.5) and lat["p95"] == pytest.approx(95.05) and lat["p99"] > lat["p95"]


def test_app_reports_quality_and_stats(app_url, photo_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    _, info = client.predict(handle_file(str(photo_path)), api_name="/cut")
    assert 0 <= info["quality"] <= 1 and isinstance(info["anomaly"], bool)
    stats = client.predict(api_name="/stats")
    assert stats["requests"] >= 1 and stats["latency_ms"]["p95"] > 0 and stats["rss_mb"] > 0


@pytest.mark.parametrize("shape", [(2, 4000), (4000, 2), (1, 1)])
def test_features_of_extreme_aspect_ratios(shape):
    rgb = np.full((*shape, 3), 90, np.uint8)
    features = image_features(rgb, np.ones(shape, np.float32))
    assert features["brightness"] == pytest.approx(90 / 255, abs=1e-3) and features["foreground"] == 1.0


def test_service_cuts_extreme_aspect_ratios_and_answers_to_the_librarys_model_name():
    from bgremover.serve.service import CutRequest, CutService

    service = CutService(load_model(device="cpu"))
    for shape in [(2, 4000), (4000, 2)]:
        result = service.cut(np.full((*shape, 3), 120, np.uint8), CutRequest())
        assert result.alpha.shape == shape and result.output.size == shape[::-1]
    assert service.cut(np.full((8, 8, 3), 120, np.uint8), CutRequest(model="default")).info["model"] == "default"
    assert service.monitor.summary()["errors"] == 0 and service.monitor.summary()["requests"] == 3


@pytest.mark.parametrize("forward", [True, False])
def test_warm_up_loads_every_model_and_runs_it_only_when_asked(tiny_model_dir, forward):
    """On a ZeroGPU Space the app loads its models at start but runs them only inside a request."""
    from bgremover.serve.service import CutService

    class Counting:  # the real tiny model, its calls counted
        def __init__(self, segmenter):
            self.segmenter, self.calls = segmenter, 0

        def predict(self, *args, **kwargs):
            self.calls += 1
            return self.segmenter.predict(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.segmenter, name)

    default = Counting(load_model(str(tiny_model_dir), device="cpu", backend="torch"))
    loaded = []
    extra = {"fast": lambda: loaded.append("fast") or default}
    service = CutService(default, extra_models=extra)
    service.warm_up(forward=forward).join(timeout=120)
    assert service.warmed.is_set() and loaded == ["fast"]
    assert default.calls == (2 if forward else 0)
