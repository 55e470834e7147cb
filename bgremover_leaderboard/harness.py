"""Run methods on benchmarks: the full metric suite and latency, measured in the same run."""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import torch

from bgremover.io import read_image, read_mask
from bgremover.metrics import LPIPS, MetricAccumulator
from bgremover_leaderboard.datasets import Benchmark
from bgremover_leaderboard.framing import framing
from bgremover_leaderboard.methods import Method, MethodUnavailable
from bgremover_leaderboard.report import RESULTS_DIR, write_markdown

THREADS = 2
HEADLINE = ("iou", "dice", "ssim", "lpips")
PACKAGES = (
    "torch",
    "torchvision",
    "timm",
    "onnxruntime",
    "opencv-python-headless",
    "numpy",
    "scikit-image",
    "lpips",
    "mediapipe",
    "bgremover",
)


def fix_threads(threads: int = THREADS) -> None:
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def environment(threads: int = THREADS) -> dict:
    """Where the numbers come from: CPU, threads, library versions, date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def evaluate_method(method: Method, benchmark: Benchmark, lpips: LPIPS | None, limit: int | None = None) -> dict:
    """Per-image metrics, aggregates and latency of ``method`` on ``benchmark`` (or why it cannot run)."""
    try:
        method.load()
    except MethodUnavailable as err:
        return {
            "method": method.name,
            "available": False,
            "reason": str(err),
            "resolution": method.resolution,
            "kind": method.kind,
        }
    accumulator = MetricAccumulator(lpips=lpips)
    latencies = []
    pairs = benchmark.pairs[:limit] if limit else benchmark.pairs
    method.predict(read_image(pairs[0][0]))  # warm-up, not timed
    for image_path, mask_path in pairs:
        rgb, gt = read_image(image_path), read_mask(mask_path)
        started = time.perf_counter()
        alpha = method.predict(rgb)
        latencies.append((time.perf_counter() - started) * 1000.0)
        accumulator.update(image_path.stem, alpha, gt, rgb)
    summary = accumulator.summary()
    return {
        "method": method.name,
        "available": True,
        "kind": method.kind,
        "resolution": method.resolution,
        "count": summary["count"],
        "mean": summary["mean"],
        "std": summary["std"],
        "micro": summary["micro"],
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "mean": float(np.mean(latencies)),
        },
        "per_image": {stem: {k: round(v, 6) for k, v in m.items()} for stem, m in accumulator.per_image.items()},
    }


def run(
    methods: dict[str, Method],
    sets: dict[str, Benchmark],
    out_dir: Path = RESULTS_DIR,
    limit: int | None = None,
    log=print,
) -> dict[str, dict]:
    """Evaluate every method on every set; write ``<set>.json`` (merged with earlier results) and the table.

    A method that cannot run here (a package or weights missing) does not wipe out a result it has on
    the same images from an earlier run: that result is kept, with the date it was measured."""
    fix_threads()
    lpips = LPIPS()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for benchmark in sets.values():
        path = out_dir / f"{benchmark.name}.json"
        document = json.loads(path.read_text()) if path.exists() else {"results": {}}
        earlier_checksum, earlier_date = document.get("checksum"), document.get("environment", {}).get("date")
        document.update(
            dataset=benchmark.name,
            description=benchmark.description,
            images=len(benchmark.pairs),
            checksum=benchmark.checksum(),
            environment=environment(),
            framing={mask.stem: framing(read_mask(mask)) for _, mask in benchmark.pairs},
        )
        for method in methods.values():
            started = time.perf_counter()
            try:
                result = evaluate_method(method, benchmark, lpips, limit)
            finally:
                method.close()
            earlier = document["results"].get(method.name, {})
            if not result["available"] and earlier.get("available") and earlier_checksum == document["checksum"]:
                earlier.setdefault("measured", earlier_date)
                status = f"unavailable: {result['reason']}; kept its result of {earlier['measured']}"
            else:
                document["results"][method.name] = result
                measured = result["available"]
                status = f"IoU {result['mean']['iou']:.4f}" if measured else f"unavailable: {result['reason']}"
            log(f"{benchmark.name:12s} {method.name:28s} {status} ({time.perf_counter() - started:.0f} s)")
            path.write_text(json.dumps(document, indent=1))
        written[benchmark.name] = document

    write_markdown(out_dir)
    return written
