"""Production monitoring: latency percentiles, input drift, no-reference quality, anomalies.

Example:
    >>> import numpy as np
    >>> monitor = Monitor()
    >>> alpha = np.zeros((64, 64), np.float32); alpha[16:48, 20:44] = 1
    >>> record = monitor.record(np.full((64, 64, 3), 120, np.uint8), alpha, latency_ms=42.0)
    >>> record["anomalies"], monitor.summary()["latency_ms"]["p95"]
    ([], 42.0)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from scipy.stats import ks_2samp

from bgremover.imageops import resize_for_network

FEATURES = (
    "brightness",
    "contrast",
    "saturation",
    "warmth",
    "tint",
    "shadows",
    "sharpness",
    "foreground",
    "edge_balance",
)
IMAGE_FEATURES = FEATURES[:7]  # statistics of the input alone (the rest depend on the model's answer)
RANGE_FEATURES = ("brightness", "contrast", "sharpness")  # per-request drift: what a blank frame or a screenshot breaks
TAIL = 0.005  # the reference's range: from this quantile to 1 − this
MIN_EFFECT = 0.65  # a window alerts only on a large shift: a feature's KS distance at least this
UPSIDE_DOWN_TOUCH = 0.05  # a cut-out spanning this much more of the top row than of the bottom row
DEFAULT_THRESHOLDS = {"drift": 3.0, "quality_floor": None}
REFERENCE_FILE = "drift_reference.json"


def image_features(rgb: np.ndarray, alpha: np.ndarray) -> dict[str, float]:
    """Cheap statistics of a request: luma mean/std, mean saturation, colour balance (warmth R−B,
    tint G−(R+B)/2), share of dark pixels, log Laplacian variance (sharpness), the predicted
    foreground fraction, and how much more of the bottom row than of the top row is foreground
    (people stand up: a cut-out resting on the top edge suggests an upside-down photo). Computed at
    ≤ 256 px for speed."""
    if max(rgb.shape[:2]) > 256:  # every side stays ≥ 1 px, also for a 2×4000 strip
        rgb = resize_for_network(rgb, 256)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    channels = rgb.astype(np.float32).transpose(2, 0, 1)
    return {
        "brightness": float(gray.mean() / 255.0),
        "contrast": float(gray.std() / 255.0),
        "saturation": float(hsv[..., 1].mean() / 255.0),
        "warmth": float((channels[0] - channels[2]).mean() / 255.0),
        "tint": float((channels[1] - (channels[0] + channels[2]) / 2).mean() / 255.0),
        "shadows": float((gray < 40).mean()),
        "sharpness": float(np.log1p(cv2.Laplacian(gray, cv2.CV_32F).var())),
        "foreground": float((alpha >= 0.5).mean()),
        "edge_balance": edge_balance(alpha),
    }


def looks_upside_down(alpha: np.ndarray, touch: float = UPSIDE_DOWN_TOUCH) -> bool:
    """Whether a cut-out hangs from the top edge: people stand, so a portrait or half-body shot is cut
    by the bottom edge; one that spans at least ``touch`` more of the top row than of the bottom row
    is most likely a photo upside down. (A full-body photo touches neither edge and is not caught.)

    Example:
        >>> alpha = np.zeros((100, 80), np.float32); alpha[40:, 20:60] = 1  # a half-body shot
        >>> looks_upside_down(alpha), looks_upside_down(alpha[::-1])
        (False, True)
    """
    return edge_balance(alpha) <= -touch


def edge_balance(alpha: np.ndarray) -> float:
    """Share of the bottom row that is foreground minus the share of the top row."""
    return float((alpha[-1] >= 0.5).mean() - (alpha[0] >= 0.5).mean())


def quality(rgb: np.ndarray, alpha: np.ndarray, min_fragment: float = 0.002) -> dict[str, float]:
    """No-reference quality of one result, each part in [0, 1] except ``fragments``.

    - ``uncertain``: share of the mask's bounding region with alpha in (0.1, 0.9);
    - ``edge_agreement``: share of mask-boundary pixels within 3 px of an image edge (Canny);
    - ``fragments``: connected foreground parts larger than ``min_fragment`` of the frame;
    - ``score``: (1 − uncertain) · (0.5 + 0.5·edge_agreement) / (1 + 0.25·max(0, fragments − 1)).
    """
    hard = (alpha >= 0.5).astype(np.uint8)
    ys, xs = np.nonzero(hard)
    if len(ys) == 0:
        return {"uncertain": 0.0, "edge_agreement": 0.0, "fragments": 0, "score": 0.0}
    box = alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    uncertain = float(((box > 0.1) & (box < 0.9)).mean())
    _, _, stats, _ = cv2.connectedComponentsWithStats(hard, connectivity=8)
    fragments = int((stats[1:, cv2.CC_STAT_AREA] >= min_fragment * hard.size).sum())
    boundary = hard - cv2.erode(hard, np.ones((3, 3), np.uint8))
    edges = cv2.Canny(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 50, 150)
    near_edges = cv2.dilate(edges, np.ones((7, 7), np.uint8)) > 0
    agreement = float(near_edges[boundary > 0].mean()) if boundary.any() else 0.0
    score = (1 - uncertain) * (0.5 + 0.5 * agreement) / (1 + 0.25 * max(0, fragments - 1))
    return {"uncertain": uncertain, "edge_agreement": agreement, "fragments": fragments, "score": float(score)}


@dataclass
class DriftReference:
    """Feature samples of real training photos (saved beside the model as ``drift_reference.json``)
    and the per-request thresholds calibrated on them: ``drift`` (mean |z| above which a request is
    an anomaly, in :meth:`score`'s units) and ``quality_floor`` (the lowest quality score among the
    reference photos)."""

    samples: dict[str, list[float]]
    quality_scores: list[float] = field(default_factory=list)
    thresholds: dict[str, float | None] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def score(self, features: dict[str, float]) -> float:
        """How far one request lies outside the reference's range: the largest distance of its
        brightness, contrast or sharpness beyond the reference's 0.5–99.5 % quantiles, in units of
        the reference's interquartile range (0 inside the range).

        Example:
            >>> ref = DriftReference({n: list(np.linspace(0, 1, 201)) for n in FEATURES})
            >>> typical = {n: 0.5 for n in FEATURES}
            >>> ref.score(typical), round(ref.score({**typical, "contrast": 2.0}), 2)
            (0.0, 2.01)
        """
        distances = []
        for name in RANGE_FEATURES:
            values = np.asarray(self.samples[name])
            low, q1, q3, high = np.quantile(values, [TAIL, 0.25, 0.75, 1 - TAIL])
            spread = max(q3 - q1, 1e-6)
            distances.append(max(0.0, (features[name] - high) / spread, (low - features[name]) / spread))
        return float(max(distances))

    def save(self, folder: str | os.PathLike) -> Path:
        path = Path(folder) / REFERENCE_FILE
        document = {"samples": self.samples, "quality_scores": self.quality_scores, "thresholds": self.thresholds}
        path.write_text(json.dumps(document))
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike) -> DriftReference | None:
        path = Path(folder) / REFERENCE_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        samples = {name: data["samples"].get(name, [0.0]) for name in FEATURES}  # older files lack new features
        return cls(samples, data.get("quality_scores", []), {**DEFAULT_THRESHOLDS, **data.get("thresholds", {})})

    @classmethod
    def build(cls, images, predict) -> DriftReference:
        """From (rgb) images and a ``predict(rgb) -> alpha`` function."""
        samples = {n: [] for n in FEATURES}
        scores = []
        for rgb in images:
            alpha = predict(rgb)
            for name, value in image_features(rgb, alpha).items():
                samples[name].append(value)
            scores.append(quality(rgb, alpha)["score"])
        return cls(samples, scores, {"drift": 3.0, "quality_floor": round(float(np.min(scores)), 4)})


def window_drift_test(
    reference: DriftReference, window: list[dict[str, float]], alpha: float = 0.01, min_effect: float = MIN_EFFECT
) -> dict:
    """Two-sample KS test per feature, window vs reference: an alert needs a significant shift
    (Bonferroni-corrected ``alpha``) that is also large (KS distance ≥ ``min_effect``) — any two sets
    of ordinary photos differ significantly once the window is big enough."""
    tests = {n: ks_2samp([w[n] for w in window], reference.samples[n]) for n in IMAGE_FEATURES}
    p_values = {n: float(t.pvalue) for n, t in tests.items()}
    distances = {n: round(float(t.statistic), 4) for n, t in tests.items()}
    shifted = [n for n in tests if p_values[n] < alpha / len(tests) and distances[n] >= min_effect]
    return {
        "p_values": p_values,
        "distances": distances,
        "shifted": shifted,
        "alert": bool(shifted),
        "window": len(window),
    }


class Monitor:
    """Thread-safe rolling statistics of the requests a server handles.

    ``drift_threshold`` is the per-request drift score (mean |z|) above which a request is an
    anomaly; the windowed KS test runs once ``min_window`` requests are in the window.
    """

    def __init__(
        self,
        reference: DriftReference | None = None,
        window: int = 200,
        min_window: int = 20,
        drift_threshold: float | None = None,
        anomalies_kept: int = 50,
    ):
        self.reference = reference
        self.latencies: deque[tuple[float, float]] = deque(maxlen=window)
        self.features: deque[dict[str, float]] = deque(maxlen=window)
        self.drift_scores: deque[tuple[float, float]] = deque(maxlen=window)
        self.anomalies: deque[dict] = deque(maxlen=anomalies_kept)
        calibrated = reference.thresholds if reference else DEFAULT_THRESHOLDS
        self.min_window = min_window
        self.drift_threshold = drift_threshold or calibrated["drift"] or DEFAULT_THRESHOLDS["drift"]
        self.quality_floor = calibrated.get("quality_floor")
        self.errors = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.started = time.time()

    def record(self, rgb: np.ndarray, alpha: np.ndarray, latency_ms: float) -> dict:
        """Score one finished request; returns its quality, drift score and anomaly flags."""
        features = image_features(rgb, alpha)
        q = quality(rgb, alpha)
        drift = self.reference.score(features) if self.reference else None
        anomalies = []
        if features["foreground"] < 0.001:
            anomalies.append("empty mask")
        elif features["foreground"] > 0.98:
            anomalies.append("whole-frame mask")
        if q["fragments"] > 8:
            anomalies.append("many fragments")
        if features["edge_balance"] <= -UPSIDE_DOWN_TOUCH:  # looks_upside_down, from the features
            anomalies.append("upside down: the person rests on the top edge")
        floor = self.quality_floor
        if floor is None and self.reference and self.reference.quality_scores:  # an uncalibrated reference
            floor = float(np.percentile(self.reference.quality_scores, 1))
        if floor is not None and features["foreground"] >= 0.001 and q["score"] < floor:
            anomalies.append(f"quality {q['score']:.2f} below the training range ({floor:.2f})")
        if drift is not None and drift > self.drift_threshold:
            anomalies.append(f"input drift {drift:.1f}")
        now = time.time()
        with self.lock:
            self.requests += 1
            self.latencies.append((now, latency_ms))
            self.features.append(features)
            if drift is not None:
                self.drift_scores.append((now, drift))
            if anomalies:
                self.anomalies.append({"time": now, "anomalies": anomalies, "quality": round(q["score"], 3)})
        return {
            "quality": round(q["score"], 4),
            "quality_parts": q,
            "drift_score": drift,
            "anomaly": bool(anomalies),
            "anomalies": anomalies,
        }

    def record_error(self) -> None:
        with self.lock:
            self.errors += 1

    def summary(self) -> dict:
        """Latency percentiles, throughput, memory, drift test and recent anomalies."""
        with self.lock:
            latencies = [lat for _, lat in self.latencies]
            times = [t for t, _ in self.latencies]
            window = list(self.features)
            drift_points = list(self.drift_scores)
            anomalies = list(self.anomalies)
            requests, errors = self.requests, self.errors
        span = max(times[-1] - times[0], 1e-6) if len(times) > 1 else None
        summary = {
            "requests": requests,
            "errors": errors,
            "uptime_s": round(time.time() - self.started, 1),
            "latency_ms": {
                q: float(np.percentile(latencies, int(q[1:]))) if latencies else None for q in ("p50", "p95", "p99")
            },
            "throughput_per_s": (len(times) - 1) / span if span else None,
            "rss_mb": rss_mb(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "drift": None,
            "drift_scores": drift_points,
            "recent_anomalies": anomalies,
        }
        torch = sys.modules.get("torch")  # imported only where a PyTorch model runs: no GPU memory to report else
        if torch is not None and torch.cuda.is_available():
            summary["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
        if self.reference and len(window) >= self.min_window:
            summary["drift"] = window_drift_test(self.reference, window)
        return summary


def rss_mb() -> float:
    """Current resident memory of this process in MB (Linux ``/proc``; peak RSS elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
