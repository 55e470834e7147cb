"""PyTorch fp32 versus ONNX Runtime versus OpenVINO on the same model (CPU, threads fixed), and
which runtime ``backend="auto"`` picks on this CPU.

p50/p95 batch-1 latency of the network at 256 and 512 px long side, as a ratio to PyTorch fp32
measured in the same run (runs interleaved), the largest difference between the outputs, and IoU on
real benchmark photos (``--data``; the same samples as ``benchmarks.inference``) — OpenVINO in fp32
and with its CPU default precision (bf16 on CPUs that have it):

    python -m benchmarks.runtimes [--model default] [--threads 2] [--repeats 30] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = ((256, 171), (512, 341))  # a portrait photo's shape at each long side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--data", type=Path, help="benchmark data folder for IoU, e.g. ../shared/data")
    parser.add_argument("--per-set", type=int, default=15, help="photos per benchmark set for IoU")
    parser.add_argument("--long-side", type=int, default=512, help="working size for IoU")
    args = parser.parse_args()
    import torch

    from bgremover.deploy.export import export_onnx
    from bgremover.hub import load_network
    from bgremover.inference import OnnxNetwork, OpenVinoNetwork, fastest_cpu_runtime

    torch.set_num_threads(args.threads)
    network = load_network(args.model)

    def pytorch(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return torch.sigmoid(network(torch.from_numpy(batch)))[:, 0].numpy()

    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(args.model, Path(tmp) / "model.onnx")
        runners = {
            "pytorch fp32": pytorch,
            "onnxruntime": OnnxNetwork(path, args.threads),
            "openvino f32": OpenVinoNetwork(path, args.threads, precision="f32"),
            "openvino default": OpenVinoNetwork(path, args.threads),
        }
        print(f"model {args.model}, {args.threads} threads, {args.repeats} interleaved runs; ratios to pytorch fp32")
        print(f"backend='auto' on this CPU: {fastest_cpu_runtime()}")
        print("| runtime | input | p50 ms | p95 ms | p95 vs pytorch fp32 | max |Δ| vs pytorch fp32 |")
        print("|---|---|---|---|---|---|")
        rng = np.random.default_rng(0)
        for height, width in SIZES:
            batch = rng.random((1, 3, height, width), dtype=np.float32)
            outputs = {name: np.asarray(run(batch)) for name, run in runners.items()}  # warm-up
            times = {name: [] for name in runners}
            for _ in range(args.repeats):
                for name, run in runners.items():
                    started = time.perf_counter()
                    run(batch)
                    times[name].append((time.perf_counter() - started) * 1000)
            base = np.percentile(times["pytorch fp32"], 95)
            for name in runners:
                p50, p95 = np.percentile(times[name], [50, 95])
                diff = np.abs(outputs[name] - outputs["pytorch fp32"]).max()
                print(f"| {name} | {height}×{width} | {p50:.1f} | {p95:.1f} | {p95 / base:.2f}× | {diff:.1e} |")
        if args.data:
            print_accuracy(runners, args.data, args.per_set, args.long_side)


def print_accuracy(runners: dict, data_dir: Path, per_set: int, long_side: int) -> None:
    """Mean IoU per runtime on the benchmark samples, and its change against PyTorch fp32."""
    from benchmarks.inference import accuracy

    scores = {name: accuracy(run, data_dir, per_set, long_side, False) for name, run in runners.items()}
    sets = list(scores["pytorch fp32"])
    print(f"\nIoU at {long_side} px long side, {per_set} photos per set")
    print("| runtime | " + " | ".join(f"{n} IoU" for n in sets) + " | ΔIoU vs pytorch fp32 |")
    print("|---|" + "---|" * len(sets) + "---|")
    for name, values in scores.items():
        delta = " / ".join(f"{values[n] - scores['pytorch fp32'][n]:+.4f}" for n in sets)
        print(f"| {name} | " + " | ".join(f"{values[n]:.4f}" for n in sets) + f" | {delta} |")


if __name__ == "__main__":
    main()
