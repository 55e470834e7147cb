"""The GPU path against the CPU in the same run: photos/s, video fps and IoU, for both tiers.

For each tier, ``backend="auto"`` on the GPU (PyTorch, fp16 autocast, channels-last) and on the CPU
(the runtime ``auto`` picks there):

1. photos/s over the first ``--photos`` images of CCP test (one photo per call, as the app serves),
   and the GPU/CPU ratio;
2. video fps end to end (decode, network in batches, encode) on the app's committed example clip;
3. IoU against ground truth on every leaderboard set (``--limit`` photos each; 0: all) through the GPU
   path and through PyTorch fp32 on the CPU, and the difference (the GPU path may lose at most 0.002).

    python -m benchmarks.gpu --data ../shared/data [--tiers default fast] [--photos 100] [--limit 0]

It needs a CUDA GPU; elsewhere it says so and stops.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MAX_LOSS = 0.002
CLIP = Path(__file__).resolve().parents[1] / "bgremover_app" / "examples" / "video_tears_of_steel_10s.mp4"


def runtime(segmenter) -> str:
    """The runtime a segmenter runs on: PyTorch, or the exported graph's class (ONNX Runtime, OpenVINO)."""
    return "PyTorch" if hasattr(segmenter.network, "parameters") else type(segmenter.network).__name__


def photos_per_second(segmenter, paths: list[Path]) -> float:
    from bgremover.io import read_image

    images = [read_image(path) for path in paths]
    segmenter.predict(images[0])  # warm-up: kernels, autotuning, caches
    start = time.perf_counter()
    for image in images:
        segmenter.predict(image)
    if segmenter.on_gpu:
        import torch

        torch.cuda.synchronize()
    return len(images) / (time.perf_counter() - start)


def video_fps(segmenter) -> float:
    from bgremover.video import remove_background_video

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = remove_background_video(CLIP, Path(tmp) / "out.webm", model=segmenter, batch_size=8)
        return result.frames / (time.perf_counter() - start)


def mean_iou(segmenter, pairs) -> float:
    from bgremover.io import read_image, read_mask
    from bgremover.metrics.classification import iou

    return float(np.mean([iou(segmenter.predict(read_image(i)) >= 0.5, read_mask(m) >= 0.5) for i, m in pairs]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="data folder (default: $BGREMOVER_DATA_DIR)")
    parser.add_argument("--tiers", nargs="+", default=["default", "fast"])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--limit", type=int, default=0, help="photos per leaderboard set for IoU (0: all)")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("no CUDA GPU here: the GPU path cannot be measured on this machine", file=sys.stderr)
        return 2
    from bgremover.models import load_model
    from bgremover_leaderboard.datasets import benchmarks

    sets = benchmarks(args.data)
    photos = [image for image, _ in sets["ccp_test"].pairs[: args.photos]]
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    failed = False
    for tier in args.tiers:
        gpu = load_model(tier)
        cpu = load_model(tier, device="cpu")
        reference = load_model(tier, device="cpu", backend="torch", precision="f32")
        print(f"\n## {tier}: GPU {runtime(gpu)} on {gpu.device}, CPU {runtime(cpu)}")
        g, c = photos_per_second(gpu, photos), photos_per_second(cpu, photos)
        print(f"photos/s ({len(photos)} CCP photos): GPU {g:.1f}, CPU {c:.1f}, ratio {g / c:.1f}×")
        g, c = video_fps(gpu), video_fps(cpu)
        print(f"video fps ({CLIP.name}, end to end): GPU {g:.1f}, CPU {c:.1f}, ratio {g / c:.1f}×")
        print("| set | GPU IoU | PyTorch fp32 CPU IoU | difference |\n|---|---|---|---|")
        for name, bench in sets.items():
            pairs = bench.pairs[: args.limit or None]
            on_gpu, on_cpu = mean_iou(gpu, pairs), mean_iou(reference, pairs)
            failed |= on_gpu < on_cpu - MAX_LOSS
            print(f"| {name} ({len(pairs)}) | {on_gpu:.4f} | {on_cpu:.4f} | {on_gpu - on_cpu:+.4f} |")
    print(f"\nIoU check (GPU loses at most {MAX_LOSS} on every set): {'FAILED' if failed else 'passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
