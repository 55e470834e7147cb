"""PyTorch fp32 versus ONNX Runtime versus OpenVINO (fp32, its CPU default precision, and the model's
int8 file where it ships one) on the same model (CPU, threads fixed), and which runtime
``backend="auto"`` picks on this CPU.

p50/p95 batch-1 latency of the network on a real photo (CCP test 0005) at the model's working size
and twice it (squashed to size² when the model runs square), as a ratio to PyTorch fp32 measured in
the same run, the largest difference between the outputs, and IoU on real benchmark photos
(``--data``; the same samples as ``benchmarks.inference``). Runtimes are timed in blocks of calls,
the blocks rotated over several rounds: interleaving single calls would charge each runtime for
ONNX Runtime's worker threads, which keep spinning for a while after every call. The int8 file runs
at its own size only, compiled for batch 1 as ``load_model`` runs it and with its batch left dynamic:

    python -m benchmarks.runtimes [--model default] [--threads 2] [--repeats 30] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

ROUNDS = 3  # blocks per runtime, rotated so that slow drift of the machine spreads over all of them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--data", type=Path, help="benchmark data folder for IoU, e.g. ../shared/data")
    parser.add_argument("--per-set", type=int, default=15, help="photos per benchmark set for IoU")
    parser.add_argument("--long-side", type=int, default=None, help="working size for IoU (default: the model's)")
    args = parser.parse_args()
    import torch

    from benchmarks.inference import network_input
    from bgremover import settings
    from bgremover.deploy.export import export_onnx
    from bgremover.hub import load_network, run_config
    from bgremover.io import read_image
    from bgremover.runtimes import FixedSizeNetwork, OnnxNetwork, OpenVinoNetwork, fastest_cpu_runtime, int8_file

    torch.set_num_threads(args.threads)
    network = load_network(args.model)
    run = run_config(args.model)

    def pytorch(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return torch.sigmoid(network(torch.from_numpy(batch)))[:, 0].numpy()

    data = args.data or Path(settings.data_dir() or "../shared/data")
    photo = read_image(data / "ccp_person" / "images" / "0005.jpg")
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(args.model, Path(tmp) / "model.onnx")
        runners = {
            "pytorch fp32": pytorch,
            "onnxruntime": OnnxNetwork(path, args.threads),
            "openvino f32": OpenVinoNetwork(path, args.threads, precision="f32"),
            "openvino default": OpenVinoNetwork(path, args.threads),
        }
        int8 = int8_file(args.model)
        if int8 is not None:  # as load_model runs it (compiled for batch 1), and with the batch left dynamic
            runners["openvino int8"] = FixedSizeNetwork(int8, lambda: None, args.threads)
            runners["openvino int8, dynamic batch"] = OpenVinoNetwork(int8, args.threads)
        print(f"model {args.model}, {args.threads} threads, {args.repeats} runs each in {ROUNDS} rotated blocks")
        print(f"backend='auto' on this CPU: {fastest_cpu_runtime(run.precision)} (run precision {run.precision})")
        print("| runtime | input | p50 ms | p95 ms | p95 vs pytorch fp32 | max |Δ| vs pytorch fp32 |")
        print("|---|---|---|---|---|---|")
        for size in (run.working_size, 2 * run.working_size):
            batch = network_input(photo, size, run.square)
            fits = size == run.working_size  # the int8 file takes its own size only
            here = {name: go for name, go in runners.items() if fits or "int8" not in name}
            outputs = {name: np.asarray(go(batch)) for name, go in here.items()}  # warm-up
            times = {name: [] for name in here}
            block = max(1, args.repeats // ROUNDS)
            for _ in range(ROUNDS):
                for name, go in here.items():
                    for _ in range(block):
                        started = time.perf_counter()
                        go(batch)
                        times[name].append((time.perf_counter() - started) * 1000)
            base = np.percentile(times["pytorch fp32"], 95)
            shape = "×".join(map(str, batch.shape[2:]))
            for name in here:
                p50, p95 = np.percentile(times[name], [50, 95])
                diff = np.abs(outputs[name] - outputs["pytorch fp32"]).max()
                print(f"| {name} | {shape} | {p50:.1f} | {p95:.1f} | {p95 / base:.2f}× | {diff:.1e} |")
        if args.data:
            long_side = args.long_side or run.working_size
            scored = {n: r for n, r in runners.items() if long_side == run.working_size or "int8" not in n}
            scored.pop("openvino int8, dynamic batch", None)  # the same answers as "openvino int8"
            print_accuracy(scored, args.data, args.per_set, long_side, run.square)


def print_accuracy(runners: dict, data_dir: Path, per_set: int, long_side: int, square: bool) -> None:
    """Mean IoU per runtime on the benchmark samples, and its change against PyTorch fp32."""
    from benchmarks.inference import accuracy

    scores = {name: accuracy(run, data_dir, per_set, long_side, square) for name, run in runners.items()}
    sets = list(scores["pytorch fp32"])
    print(f"\nIoU at {f'{long_side}²' if square else f'{long_side} px long side'}, {per_set} photos per set")
    print("| runtime | " + " | ".join(f"{n} IoU" for n in sets) + " | ΔIoU vs pytorch fp32 |")
    print("|---|" + "---|" * len(sets) + "---|")
    for name, values in scores.items():
        delta = " / ".join(f"{values[n] - scores['pytorch fp32'][n]:+.4f}" for n in sets)
        print(f"| {name} | " + " | ".join(f"{values[n]:.4f}" for n in sets) + f" | {delta} |")


if __name__ == "__main__":
    main()
