"""Where a photo's time goes: p50/p95 of each stage of ``Segmenter.predict`` on real photos, next to
the whole call, for a model at its run block's size and runtime (CPU, threads fixed):

    python -m benchmarks.stages --data ../shared/data [--model fast] [--repeats 60]

Stages: reading the photo's array (and, for comparison, the round trip through Pillow that
``read_image`` made before 2026-12-02), resizing the photo to the network's input, the network
(through the model's default runtime), bringing the probabilities back to the photo (bilinear
resizing, and guided upsampling along the photo's edges), and the main-subject selection (at the
network's resolution, and for comparison on the photo-size alpha, where ``predict`` made it before
2026-12-02, night). The whole call also converts to float and clips; its p50 minus the stages' is
that overhead. The whole call is timed with each upsampling, and the guided one's p50 and p95 are
printed as ratios of the bilinear one's, measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

PHOTOS = (  # a portrait, a 16:9 frame with a dozen people, one with an audience
    "ccp_person/images/0005.jpg",
    "davis_person/images/dance-jump_00030.jpg",
    "davis_person/images/breakdance_00010.jpg",
)


def time_stages(seg, rgb: np.ndarray, repeats: int) -> dict[str, list[float]]:
    """Milliseconds per run of each stage of ``seg.predict(rgb)``, and of the whole call."""
    import cv2
    from PIL import Image

    from bgremover.imageops import resize_for_network
    from bgremover.io import read_image
    from bgremover.refine import guided_upsample
    from bgremover.subjects import select_subjects

    small = resize_for_network(rgb, seg.working_size, seg.square)
    batch = np.ascontiguousarray(small[None].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
    prob = np.clip(seg._forward(batch)[0], 0.0, 1.0)
    alpha = np.clip(cv2.resize(prob, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
    stages = {
        "read the array": lambda: read_image(rgb),
        "(read it through Pillow, as before 2026-12-02)": lambda: read_image(Image.fromarray(rgb)),
        "resize in": lambda: resize_for_network(rgb, seg.working_size, seg.square),
        "network": lambda: seg._forward(batch),
        "resize out": lambda: cv2.resize(prob, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR),
        "guided upsampling out": lambda: guided_upsample(rgb, prob, small=small),
        "main subject, at the network's resolution": lambda: select_subjects(prob, "main"),
        "(main subject on the photo-size alpha, as before 2026-12-02, night)": lambda: select_subjects(alpha, "main"),
        "whole predict, bilinear": lambda: seg.predict(rgb, upsample="bilinear"),
        "whole predict, guided": lambda: seg.predict(rgb, upsample="guided"),
    }
    for _ in range(3):
        seg.predict(rgb)  # warm-up
    times = {name: [] for name in stages}
    for _ in range(repeats):
        for name, stage in stages.items():
            started = time.perf_counter()
            stage()
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="benchmark data folder, e.g. ../shared/data")
    parser.add_argument("--model", default="fast")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    import cv2
    import torch

    from bgremover import load_model
    from bgremover.io import read_image

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    seg = load_model(args.model, device="cpu")
    print(f"model {args.model} ({type(seg.network).__name__}), {args.threads} threads, {args.repeats} runs")
    print("| photo | stage | p50 ms | p95 ms |\n|---|---|---|---|")
    for relative in PHOTOS:
        rgb = read_image(args.data / relative)
        size = f"{relative.split('/')[-1]} ({rgb.shape[0]}×{rgb.shape[1]})"
        times = time_stages(seg, rgb, args.repeats)
        for name, values in times.items():
            print(f"| {size} | {name} | {np.percentile(values, 50):.1f} | {np.percentile(values, 95):.1f} |")
        ratios = [
            np.percentile(times["whole predict, guided"], q) / np.percentile(times["whole predict, bilinear"], q)
            for q in (50, 95)
        ]
        print(f"| {size} | whole predict, guided ÷ bilinear | {ratios[0]:.2f}× | {ratios[1]:.2f}× |")


if __name__ == "__main__":
    main()
