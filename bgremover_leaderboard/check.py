"""Re-run a sample of the committed results and fail if a number does not reproduce.

Numbers from fp32 runtimes (PyTorch, ONNX Runtime, the classic methods) are the same on every x86 CPU
and are checked within :data:`TOLERANCE`. Numbers from OpenVINO are runtime-dependent: it runs bf16
where the CPU has it (AVX-512-BF16 on AMD EPYC, AMX on Intel Xeon) and fp32 elsewhere, and the bf16
kernels round differently per CPU; they are checked within :data:`RUNTIME_TOLERANCE`, which covers the
measured per-image spread between bf16 and fp32 on the first photos of every set (at most 0.018 in
IoU and boundary F, 4% in SAD), and still catches a changed model or pre-processing.
"""

from __future__ import annotations

from pathlib import Path

from bgremover.io import read_image, read_mask
from bgremover.metrics import LPIPS, image_metrics
from bgremover_leaderboard.datasets import Benchmark
from bgremover_leaderboard.harness import fix_threads
from bgremover_leaderboard.methods import Method
from bgremover_leaderboard.report import RESULTS_DIR, load_results

TOLERANCE = {"default": 2e-3, "sad": 0.05, "gradient_error": 0.05, "lpips": 5e-3}
RUNTIME_TOLERANCE = {"default": 0.03, "sad": 0.1, "gradient_error": 0.1, "lpips": 0.03}
RELATIVE = ("sad", "gradient_error")  # unbounded: the tolerance scales with the committed value
RUNTIME_DEPENDENT_MARK = "OpenVINO"  # in a result's resolution: measured through OpenVINO


def runtime_dependent(method: Method, result: dict) -> bool:
    """Whether ``method``'s numbers depend on the CPU: measured, or run now, through OpenVINO."""
    return RUNTIME_DEPENDENT_MARK in result.get("resolution", "") or RUNTIME_DEPENDENT_MARK in method.resolution


def check(
    methods: dict[str, Method], sets: dict[str, Benchmark], sample: int = 3, folder: Path = RESULTS_DIR, log=print
) -> list[str]:
    """Recompute the first ``sample`` images of each (set, method) present in the results.

    Returns the list of mismatches (empty when everything reproduces within :data:`TOLERANCE`, or
    :data:`RUNTIME_TOLERANCE` for runtime-dependent numbers: absolute for bounded scores, relative
    for SAD and gradient error); a set whose files no longer match the committed checksum is one
    mismatch. Each checked pair is logged with the tolerance it was held to.
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
            dependent = runtime_dependent(method, result)
            tolerances = RUNTIME_TOLERANCE if dependent else TOLERANCE
            try:
                problems += _recheck(
                    method, result["per_image"], pairs, sample, lpips, tolerances, f"{name}/{method_name}"
                )
            finally:
                method.close()
            how = (
                f"runtime-dependent (bf16 where the CPU has it), within {tolerances['default']}"
                if dependent
                else f"fp32, within {tolerances['default']}"
            )
            log(f"checked {name}/{method_name} on {min(sample, len(result['per_image']))} images: {how}")
    return problems


def _recheck(
    method: Method, per_image: dict, pairs: dict, sample: int, lpips, tolerances: dict, label: str
) -> list[str]:
    """Mismatches between ``method``'s fresh metrics and the committed ones on the first ``sample`` images."""
    problems = []
    for stem in list(per_image)[:sample]:
        rgb, gt = read_image(pairs[stem][0]), read_mask(pairs[stem][1])
        fresh = image_metrics(method.predict(rgb), gt, rgb, lpips)
        for metric, committed in per_image[stem].items():
            tolerance = tolerances.get(metric, tolerances["default"])
            scale = max(abs(committed), 1.0) if metric in RELATIVE else 1.0
            if abs(fresh[metric] - committed) > tolerance * scale:
                problems.append(f"{label}/{stem}: {metric} committed {committed:.6f}, now {fresh[metric]:.6f}")
    return problems
