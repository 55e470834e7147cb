"""Every shipped tier side by side: loading time, peak memory and latency per photo, each tier in a fresh
process (so its peak memory is its own), printed as ratios to the fast tier measured in the same run.

The photos are the app's committed examples (credited in ``bgremover_app/examples/CREDITS.md``), cut
end to end as ``predict`` does (the main subject, alpha at the photo's size), ``--repeats`` times each
after one warm-up pass. A fused tier's peer is read from the weights dir or the cache (fetched once).

    python -m benchmarks.tiers [--tiers default fast fast-plus best] [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from benchmarks import REPO, measure_in_subprocess

EXAMPLES = REPO / "bgremover_app" / "examples"
BASELINE = "fast"


def measure(tier: str, repeats: int, threads: int) -> dict:
    """Load ``tier`` and cut every example photo ``repeats`` times: seconds to load, per-photo latency
    percentiles in ms, peak resident memory in MB (this process)."""
    import torch

    torch.set_num_threads(threads)
    from bgremover import load_model
    from bgremover.io import read_image

    photos = [read_image(path) for path in sorted(EXAMPLES.glob("*.jpg"))]
    started = time.perf_counter()
    model = load_model(tier)
    loaded = time.perf_counter() - started
    for rgb in photos:  # warm-up: runtimes compile and allocate at the first call
        model.predict(rgb)
    times = []
    for _ in range(repeats):
        for rgb in photos:
            started = time.perf_counter()
            model.predict(rgb)
            times.append((time.perf_counter() - started) * 1000)
    return {
        "load_s": loaded,
        "p50_ms": float(np.percentile(times, 50)),
        "p95_ms": float(np.percentile(times, 95)),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "photos": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiers", nargs="+", help="shipped names (default: every installed one)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # one tier, in the child process
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(measure(args.variant, args.repeats, args.threads)))
        return
    from bgremover import list_pretrained

    tiers = args.tiers or list_pretrained()
    tiers = [BASELINE, *(t for t in tiers if t != BASELINE)]
    rows = {t: measure_in_subprocess(__file__, t, {"repeats": args.repeats, "threads": args.threads}) for t in tiers}
    base = rows[BASELINE]
    count = len(list(EXAMPLES.glob("*.jpg")))
    print(f"{count} committed photos × {args.repeats}, {args.threads} threads; ratios to the {BASELINE} tier")
    print("| tier | load s | p50 ms | p95 ms | peak MB | p50 × | p95 × | peak × |")
    print("|---|---|---|---|---|---|---|---|")
    for tier, row in rows.items():
        ratios = [row[k] / base[k] for k in ("p50_ms", "p95_ms", "peak_mb")]
        print(
            f"| {tier} | {row['load_s']:.2f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['peak_mb']:.0f} | "
            + " | ".join(f"{r:.2f}" for r in ratios)
            + " |"
        )


if __name__ == "__main__":
    main()
