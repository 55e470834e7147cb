"""Training throughput and peak memory of the default config at 320 px, per variant.

Each variant runs in a fresh subprocess (so peak RSS is its own); ratios are to plain fp32
measured in the same invocation. Not a test: run it on an otherwise idle machine.

    python -m benchmarks.train_throughput --data ../shared/data/ccp_person [--steps 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from benchmarks import measure_in_subprocess

VARIANTS = {
    "fp32": dict(amp=False, gradient_checkpointing=False),
    "amp (bf16 autocast where the CPU has bf16 kernels)": dict(amp=True, gradient_checkpointing=False),
    "bf16 autocast, forced": dict(amp=True, gradient_checkpointing=False, force_bf16=True),
    "fp32 + grad checkpointing": dict(amp=False, gradient_checkpointing=True),
    "amp + grad checkpointing": dict(amp=True, gradient_checkpointing=True),
    "amp, no perceptual term": dict(amp=True, gradient_checkpointing=False, w_perceptual=0.0),
}


def measure(variant: str, data: str, steps: int, threads: int, batch_size: int, size: int) -> dict:
    import torch

    from bgremover.train.builders import build_loss, build_model
    from bgremover.train.config import TrainConfig
    from bgremover.train.precision import autocast_context, training_autocast
    from bgremover.train.sanity import _fixed_batch

    torch.set_num_threads(threads)
    options = dict(VARIANTS[variant])
    forced = options.pop("force_bf16", False)
    config = TrainConfig(data=data, image_size=size, batch_size=batch_size, **options)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    images, masks = (t.to(device) for t in _fixed_batch(config, batch_size))
    model, loss_fn = build_model(config).to(device).train(), build_loss(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16) if forced else autocast_context(device, config.amp):
            total, _ = loss_fn(model(images), masks, images)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()

    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {
        "variant": variant,
        "device": device.type,
        "autocast": str(training_autocast(device, config.amp)),
        "images_per_s": steps * batch_size / elapsed,
        "seconds_per_step": elapsed / steps,
        "peak_memory_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a dataset folder, e.g. ../shared/data/ccp_person")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data = Path(args.data).resolve()
    if args.variant:
        print(json.dumps(measure(args.variant, args.data, args.steps, args.threads, args.batch_size, args.size)))
        return
    results = []
    for variant in VARIANTS:
        options = dict(
            data=args.data, steps=args.steps, threads=args.threads, batch_size=args.batch_size, size=args.size
        )
        results.append(measure_in_subprocess(__file__, variant, options))
    base = results[0]
    print(
        f"default config (tf_efficientnet_lite0 Attention U-Net, composite loss), batch {args.batch_size} at "
        f"{args.size} px, {args.threads} threads, device {base['device']}; amp's autocast here: "
        f"{results[1]['autocast']}"
    )
    print("| variant | images/s | s/step | peak memory MB | speed vs fp32 | memory vs fp32 |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['variant']} | {r['images_per_s']:.2f} | {r['seconds_per_step']:.2f} | {r['peak_memory_mb']:.0f} | "
            f"{r['images_per_s'] / base['images_per_s']:.2f}× | {r['peak_memory_mb'] / base['peak_memory_mb']:.2f}× |"
        )


if __name__ == "__main__":
    main()
