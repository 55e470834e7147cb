"""Inference speed, memory and accuracy of every deployment variant of a model.

For PyTorch fp32 (the baseline), PyTorch bf16 autocast, PyTorch int8 (FX graph mode, x86/fbgemm),
ONNX fp32 and ONNX int8 (static, calibrated on training images; dynamic as a comparison): p50/p95
latency at batch 1 and throughput at batch 1/4/8 for 256, 384, 512 and 1024 px long side, peak RSS (each
variant in a fresh process), and IoU on a sample of both benchmarks at 512, 384 and 256 px — all printed
as ratios to PyTorch fp32 from the same run. ``--compare NAME=SOURCE`` adds the PyTorch fp32 and ONNX
fp32 rows of other models (a pruned or distilled one) to the same table. ``--square`` feeds every
variant size² inputs whatever the photo's aspect, as the fast tier runs.

    python -m benchmarks.inference --data-dir ../shared/data [--model default] [--threads 2] \
        [--compare fast=bgremover/pretrained/bgremover-fast pruned=runs/pruned/best] [--square]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import measure_in_subprocess

REPO = Path(__file__).resolve().parent.parent
VARIANTS = (
    "pytorch fp32",
    "pytorch bf16",
    "pytorch int8 fx",
    "onnx fp32",
    "onnx int8 static",
    "onnx int8 dynamic",
    "openvino default",
)
SIZES = (256, 384, 512, 1024)
BATCHES = (1, 4, 8)


COMPARED_VARIANTS = ("pytorch fp32", "onnx fp32", "openvino default")
ACCURACY_SIZES = (512, 384, 256)


def split_variant(variant: str) -> tuple[str, str]:
    """``"fast: onnx fp32"`` -> (``"fast"``, ``"onnx fp32"``); the main model's name is ``"model"``."""
    name, _, runtime = variant.rpartition(": ")
    return name or "model", runtime


def build_runner(variant: str, model: str, onnx_dir: Path, data_dir: Path, threads: int):
    """``run(batch float32 N×3×H×W) -> probabilities`` for one variant (``model`` is its source)."""
    import torch

    torch.set_num_threads(threads)
    name, variant = split_variant(variant)
    if variant.startswith("pytorch"):
        from bgremover.hub import load_network

        network = load_network(model)
        if variant.endswith("int8 fx"):
            from bgremover.deploy.quantize_fx import quantize_network

            network = quantize_network(network, calibration_images(data_dir))
        bf16 = variant.endswith("bf16")

        def run(batch):
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                return torch.sigmoid(network(torch.from_numpy(batch)).float()).numpy()

        return run
    from bgremover.runtimes import OnnxNetwork, OpenVinoNetwork

    if variant == "openvino default":  # OpenVINO's CPU default precision (bf16 where the CPU has it)
        return OpenVinoNetwork(onnx_dir / f"{name}.onnx", threads=threads)
    suffix = {"onnx fp32": "", "onnx int8 static": "-int8", "onnx int8 dynamic": "-int8-dynamic"}[variant]
    return OnnxNetwork(onnx_dir / f"{name}{suffix}.onnx", threads=threads)


def network_input(rgb: np.ndarray, size: int, square: bool) -> np.ndarray:
    """A 1×3×H×W float batch of ``rgb`` as a :class:`bgremover.Segmenter` of that size feeds it."""
    from bgremover.imageops import resize_for_network

    return resize_for_network(rgb, size, square).transpose(2, 0, 1)[None].astype(np.float32) / 255.0


def sample_batch(data_dir: Path, size: int, batch: int, square: bool) -> np.ndarray:
    from bgremover.io import read_image

    rgb = read_image(data_dir / "ccp_person" / "images" / "0005.jpg")
    return np.repeat(network_input(rgb, size, square), batch, axis=0)


def accuracy(run, data_dir: Path, per_set: int, long_side: int, square: bool) -> dict[str, float]:
    import cv2

    from bgremover.io import read_image, read_mask
    from bgremover.metrics import iou
    from bgremover_leaderboard.datasets import benchmarks

    scores = {}
    for name in ("ccp_test", "davis"):
        pairs = benchmarks(data_dir)[name].pairs
        values = []
        for image_path, mask_path in pairs[:: max(1, len(pairs) // per_set)][:per_set]:
            rgb, gt = read_image(image_path), read_mask(mask_path)
            prob = np.asarray(run(network_input(rgb, long_side, square))).squeeze()
            values.append(iou(cv2.resize(prob.astype(np.float32), (rgb.shape[1], rgb.shape[0])), gt))
        scores[name] = float(np.mean(values))
    return scores


def measure(
    variant: str, model: str, onnx_dir: Path, data_dir: Path, threads: int, repeats: int, per_set: int, square: bool
):
    run = build_runner(variant, model, onnx_dir, data_dir, threads)
    result = {"variant": variant, "sizes": {}}
    for size in SIZES:
        entry = {}
        for batch in BATCHES:
            inputs = sample_batch(data_dir, size, batch, square)
            run(inputs)  # warm-up
            times = []
            for _ in range(repeats if batch == 1 else max(2, repeats // 4)):
                started = time.perf_counter()
                run(inputs)
                times.append(time.perf_counter() - started)
            entry[f"batch{batch}_images_per_s"] = batch / float(np.median(times))
            if batch == 1:
                entry["p50_ms"] = float(np.percentile(times, 50) * 1000)
                entry["p95_ms"] = float(np.percentile(times, 95) * 1000)
        result["sizes"][str(size)] = entry
    result["iou"] = {str(size): accuracy(run, data_dir, per_set, size, square) for size in ACCURACY_SIZES}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def calibration_images(data_dir: Path) -> list[np.ndarray]:
    """The int8 calibration set of every quantized variant: 32 CCP training photos."""
    from bgremover.data import SegmentationFolder

    return SegmentationFolder(data_dir / "ccp_person", split="trainval").sample_images(32)


def prepare_onnx(model: str, onnx_dir: Path, data_dir: Path, compared: dict[str, str]) -> None:
    """fp32 and int8 graphs of the main model; fp32 graphs of the compared ones."""
    from bgremover.deploy.export import export_onnx
    from bgremover.deploy.quantize import quantize_onnx

    fp32 = export_onnx(model, onnx_dir / "model.onnx")
    quantize_onnx(fp32, onnx_dir / "model-int8.onnx", calibration_images(data_dir))
    quantize_onnx(fp32, onnx_dir / "model-int8-dynamic.onnx")
    for name, source in compared.items():
        export_onnx(source, onnx_dir / f"{name}.onnx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=Path, help="e.g. ../shared/data")
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20, help="timed batch-1 runs per size")
    parser.add_argument("--per-set", type=int, default=40, help="images per benchmark for the IoU column")
    parser.add_argument(
        "--compare", nargs="*", default=[], metavar="NAME=SOURCE", help="further models (e.g. pruned, distilled)"
    )
    parser.add_argument(
        "--variants", nargs="*", help="only these rows, e.g. 'onnx fp32' 'fast: onnx fp32' (pytorch fp32 always runs)"
    )
    parser.add_argument(
        "--square", action="store_true", help="inputs resized to size² whatever their aspect (as the fast tier runs)"
    )
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--onnx-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data_dir = Path(args.data_dir).resolve()
    compared = dict(item.split("=", 1) for item in args.compare)
    if args.variant:
        model = compared.get(split_variant(args.variant)[0], args.model)
        print(
            json.dumps(
                measure(
                    args.variant,
                    model,
                    args.onnx_dir,
                    args.data_dir,
                    args.threads,
                    args.repeats,
                    args.per_set,
                    args.square,
                )
            )
        )
        return
    with tempfile.TemporaryDirectory() as tmp:
        onnx_dir = Path(tmp)
        prepare_onnx(args.model, onnx_dir, args.data_dir, compared)
        results = []
        variants = [*VARIANTS, *(f"{name}: {v}" for name in compared for v in COMPARED_VARIANTS)]
        if args.variants:
            unknown = set(args.variants) - set(variants)
            if unknown:
                parser.error(f"unknown variants {sorted(unknown)}; choose from {variants}")
            variants = [v for v in variants if v == VARIANTS[0] or v in args.variants]
        for variant in variants:
            options = dict(
                compare=args.compare,
                model=args.model,
                onnx_dir=onnx_dir,
                data_dir=args.data_dir,
                threads=args.threads,
                repeats=args.repeats,
                per_set=args.per_set,
                **({"square": []} if args.square else {}),  # a bare flag
            )
            results.append(measure_in_subprocess(__file__, variant, options))
    base = results[0]
    shape = "size² (squashed)" if args.square else "long side"
    print(f"model {args.model}, {args.threads} threads, inputs at {shape}; ratios are to pytorch fp32 from this run")
    print("| variant | size | p50 ms | p95 ms | p95 vs fp32 | img/s b1 | img/s b4 | img/s b8 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        for size, e in r["sizes"].items():
            ratio = e["p95_ms"] / base["sizes"][size]["p95_ms"]
            print(
                f"| {r['variant']} | {size} | {e['p50_ms']:.1f} | {e['p95_ms']:.1f} | {ratio:.2f}× | "
                f"{e['batch1_images_per_s']:.1f} | {e['batch4_images_per_s']:.1f} | {e['batch8_images_per_s']:.1f} |"
            )
    print()
    for size in map(str, ACCURACY_SIZES):
        print()
        print(
            f"| variant | IoU CCP ({args.per_set}) @{size} | IoU DAVIS ({args.per_set}) @{size} | "
            f"ΔIoU vs fp32 (CCP / DAVIS) | p95 ms @{size} | peak RSS MB |"
        )
        print("|---|---|---|---|---|---|")
        for r in results:
            iou, base_iou = r["iou"][size], base["iou"][size]
            print(
                f"| {r['variant']} | {iou['ccp_test']:.4f} | {iou['davis']:.4f} | "
                f"{iou['ccp_test'] - base_iou['ccp_test']:+.4f} / {iou['davis'] - base_iou['davis']:+.4f} | "
                f"{r['sizes'][size]['p95_ms']:.1f} | {r['peak_rss_mb']:.0f} |"
            )


if __name__ == "__main__":
    main()
