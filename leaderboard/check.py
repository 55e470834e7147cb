"""Re-run a sample of the committed results and fail if a number does not reproduce."""

from __future__ import annotations

from pathlib import Path

from bgremover.io import read_image, read_mask
from bgremover.metrics import LPIPS, image_metrics
from leaderboard.datasets import Benchmark
from leaderboard.harness import fix_threads
from leaderboard.methods import Method
from leaderboard.report import RESULTS_DIR, load_results

TOLERANCE = {"default": 2e-3, "sad": 0.05, "gradient_error": 0.05, "lpips": 5e-3}


def check(
    methods: dict[str, Method], sets: dict[str, Benchmark], sample: int = 3, folder: Path = RESULTS_DIR, log=print
) -> list[str]:
    """Recompute the first ``sample`` images of each (set, method) present in the results.

    Returns the list of mismatches (empty when everything reproduces within :data:`TOLERANCE`:
    absolute for bounded scores, relative for SAD and gradient error); a set whose files no longer
    match the committed checksum is one mismatch.
    """
    fix_threads()
    lpips = LPIPS()
    problems = []
    for name, document in load_results(folder).items():
        if name not in sets:
            continue
        if document["checksum"] != sets[name].checksum():
            problems.append(f"{name}: results were measured on other images (dataset checksum differs)")
            continue
        pairs = {image.stem: (image, mask) for image, mask in sets[name].pairs}
        for method_name, result in document["results"].items():
            if not result["available"] or method_name not in methods:
                continue
            method = methods[method_name]
            try:
                problems += _recheck(method, result["per_image"], pairs, sample, lpips, f"{name}/{method_name}")
            finally:
                method.close()
            log(f"checked {name}/{method_name} on {min(sample, len(result['per_image']))} images")
    return problems


def _recheck(method: Method, per_image: dict, pairs: dict, sample: int, lpips, label: str) -> list[str]:
    """Mismatches between ``method``'s fresh metrics and the committed ones on the first ``sample`` images."""
    problems = []
    for stem in list(per_image)[:sample]:
        rgb, gt = read_image(pairs[stem][0]), read_mask(pairs[stem][1])
        fresh = image_metrics(method.predict(rgb), gt, rgb, lpips)
        for metric, committed in per_image[stem].items():
            tolerance = TOLERANCE.get(metric, TOLERANCE["default"])
            scale = max(abs(committed), 1.0) if metric in ("sad", "gradient_error") else 1.0
            if abs(fresh[metric] - committed) > tolerance * scale:
                problems.append(f"{label}/{stem}: {metric} committed {committed:.6f}, now {fresh[metric]:.6f}")
    return problems
