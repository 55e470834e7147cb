"""The best tier's peer, rembg's U²-Net, on each runtime it can run on: ONNX Runtime (rembg's own) and
OpenVINO at its CPU default precision (bf16 where the CPU has it natively), and the one
``bgremover.peers.peer_runtime`` picks on this CPU.

p50/p95 per photo of the whole peer call (rembg's recipe at 320², the map back at the photo's size) on
CCP test photos, as a ratio to ONNX Runtime measured in the same run, timed in blocks rotated over
several rounds (as ``benchmarks.runtimes``); and how far each map is from ONNX Runtime's: IoU of the
two masks at 0.5 (lowest and mean over the photos) and the mean |Δ|.

    python -m benchmarks.peers [--photos 20] [--threads 2] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROUNDS = 3  # blocks per runtime, rotated so that slow drift of the machine spreads over all of them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", type=Path, help="benchmark data folder (default: $BGREMOVER_DATA_DIR)")
    args = parser.parse_args()
    from bgremover import settings
    from bgremover.data import read_split
    from bgremover.io import read_image
    from bgremover.metrics import iou
    from bgremover.peers import U2Net, peer_runtime

    ccp = (args.data or Path(settings.data_dir() or "../shared/data")) / "ccp_person"
    stems = read_split(ccp / "splits" / "test.txt")[: args.photos]
    photos = [read_image(ccp / "images" / f"{stem}.jpg") for stem in stems]
    runners = {backend: U2Net(threads=args.threads, backend=backend) for backend in ("onnx", "openvino")}

    maps = {name: [peer(rgb) for rgb in photos] for name, peer in runners.items()}  # warm-up, and the maps
    times = {name: [] for name in runners}
    for _ in range(ROUNDS):
        for name, peer in runners.items():
            for rgb in photos:
                started = time.perf_counter()
                peer(rgb)
                times[name].append((time.perf_counter() - started) * 1000)
    base = np.percentile(times["onnx"], 95)
    print(
        f"U²-Net, {len(photos)} CCP test photos × {ROUNDS}, {args.threads} threads; the peer runs on "
        f"{peer_runtime()} here"
    )
    print("| runtime | p50 ms | p95 ms | p95 vs onnx | IoU vs onnx (lowest / mean) | mean |Δ| vs onnx |")
    print("|---|---|---|---|---|---|")
    for name in runners:
        p50, p95 = np.percentile(times[name], [50, 95])
        ious = [iou(a, b) for a, b in zip(maps[name], maps["onnx"], strict=True)]
        delta = np.mean([np.abs(a - b).mean() for a, b in zip(maps[name], maps["onnx"], strict=True)])
        print(
            f"| {name} | {p50:.1f} | {p95:.1f} | {p95 / base:.2f}× | {min(ious):.4f} / {np.mean(ious):.4f} "
            f"| {delta:.5f} |"
        )


if __name__ == "__main__":
    main()
