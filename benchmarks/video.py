"""Video: temporal stability, end-to-end speed per stage, and memory on a long clip.

1. Stability on consecutive frames with ground truth: the DAVIS sequences of ``people_extra``
   (every 2nd frame; training data) and of ``davis_person`` (every 5th frame; benchmark only).
   Per model, with and without ``stabilize``: per-frame IoU, flicker (mean |Δα| outside the moving
   edge band) and dtSSD (:mod:`bgremover.metrics.temporal`), and the ratio of each to no stabilisation.
2. Speed: clips of 480p and 720p made from DAVIS frames (H.264 in), written as transparent WebM,
   end to end (decode → model → encode) with each stage's share; ratios to the default model's fps.
3. Memory: RSS while a long clip streams through (it should level off, whatever the length).
4. HDR: what tone-mapping an HLG clip to SDR (:mod:`bgremover.hdr`) costs. One 10-bit HEVC stream of
   1080p DAVIS frames, tagged HLG and tagged SDR (BT.2020's 10-bit transfer): decoding alone and end to
   end, in fps, and the HLG clip's ratio to the SDR one.

    python -m benchmarks.video --data ../shared/data [--models fast default] [--frames 48] [--long-frames 1500]
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sequences(folder: Path, pattern: str) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """(RGB frame, binary ground truth) per sequence, in frame order."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in sorted((folder / "images").glob("*.jpg")):
        match = re.fullmatch(pattern, path.stem)
        if match:
            groups[match.group(1)].append(path)
    return {
        name: [
            (
                cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB),
                (cv2.imread(str(folder / "masks" / f"{p.stem}.png"), cv2.IMREAD_GRAYSCALE) >= 128).astype(np.float32),
            )
            for p in paths
        ]
        for name, paths in groups.items()
    }


def stability(models: dict, data: Path) -> None:
    from bgremover.frames import predict_frames
    from bgremover.metrics import dtssd, flicker, iou

    sets = {
        "people_extra (every 2nd frame, trained on)": sequences(data / "people_extra", r"davis16__(\w+?)__\d+"),
        "davis_person (every 5th frame)": sequences(data / "davis_person", r"(.+)_\d+"),
    }
    print("\n## Stability (mean over sequences)\n")
    print("| frames | model | stabilize | IoU | flicker | flicker vs off | dtSSD | dtSSD vs off |")
    print("|---|---|---|---|---|---|---|---|")
    for set_name, seqs in sets.items():
        for model_name, segmenter in models.items():
            rows = {}
            for stabilize in (False, True):
                scores = []
                for frames in seqs.values():
                    rgbs, gts = [f for f, _ in frames], [g for _, g in frames]
                    alphas = [a for _, a in predict_frames(segmenter, iter(rgbs), stabilize=stabilize)]
                    scores.append(
                        (
                            np.mean([iou(a, g) for a, g in zip(alphas, gts, strict=True)]),
                            flicker(alphas, gts),
                            dtssd(alphas, gts),
                        )
                    )
                rows[stabilize] = np.mean(scores, axis=0)
            for stabilize, (mean_iou, flick, dt) in rows.items():
                base = rows[False]
                print(
                    f"| {set_name} | {model_name} | {'on' if stabilize else 'off'} | {mean_iou:.4f} | {flick:.4f} "
                    f"| {flick / base[1]:.2f}× | {dt:.3f} | {dt / base[2]:.2f}× |"
                )


def make_clip(data: Path, path: Path, size: tuple[int, int], frames: int) -> None:
    from bgremover.video_io import write_video

    sources = sorted((data / "davis_person" / "images").glob("*.jpg"))
    width, height = size

    def generate():
        for i in range(frames):
            bgr = cv2.imread(str(sources[i % len(sources)]))
            yield cv2.cvtColor(cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)

    write_video(generate(), path, fps=25)


def speed(models: dict, data: Path, frames: int, tmp: Path) -> None:
    from bgremover.video import remove_background_video

    print(f"\n## Speed, end to end ({frames} frames, H.264 in, transparent WebM out)\n")
    print("| clip | model | stabilize | fps | vs default | decode | model | encode |")
    print("|---|---|---|---|---|---|---|---|")
    for label, size in (("480p", (854, 480)), ("720p", (1280, 720))):
        clip = tmp / f"{label}.mp4"
        make_clip(data, clip, size, frames)
        results = {}
        for model_name, segmenter in models.items():
            for stabilize in (False, True):
                remove_background_video(clip, tmp / "warm.webm", model=segmenter, overwrite=True)  # warm-up
                result = remove_background_video(
                    clip, tmp / "out.webm", model=segmenter, stabilize=stabilize, overwrite=True
                )
                results[model_name, stabilize] = result
        base = results.get(("default", False)) or next(iter(results.values()))
        for (model_name, stabilize), result in results.items():
            share = {k: result.seconds[k] / result.seconds["total"] for k in ("decode", "model", "encode")}
            print(
                f"| {label} | {model_name} | {'on' if stabilize else 'off'} | {result.frames_per_second:.1f} "
                f"| {result.frames_per_second / base.frames_per_second:.2f}× | {share['decode']:.0%} "
                f"| {share['model']:.0%} | {share['encode']:.0%} |"
            )


def memory(segmenter, data: Path, frames: int, tmp: Path) -> None:
    from bgremover.video import remove_background_video

    clip = tmp / "long.mp4"
    make_clip(data, clip, (854, 480), frames)
    marks = {round(frames * f) for f in (0.1, 0.25, 0.5, 0.75, 1.0)}
    samples: dict[int, float] = {}

    def progress(done: int, total: int | None) -> None:
        if done in marks:
            samples[done] = rss_mib()

    before = rss_mib()
    remove_background_video(clip, tmp / "long.webm", model=segmenter, progress=progress, overwrite=True)
    print(f"\n## Memory: RSS while a {frames}-frame 480p clip streams through (fast model)\n")
    print("| frames done | RSS MiB | vs at 10 % |")
    print("|---|---|---|")
    first = samples[min(samples)]
    print(f"| 0 | {before:.0f} | |")
    for done, value in sorted(samples.items()):
        print(f"| {done} | {value:.0f} | {value / first:.2f}× |")


def hevc_clip(data: Path, path: Path, frames: int, transfer: int) -> None:
    """A 1080p 10-bit HEVC clip of DAVIS frames, BT.2020 matrix, tagged with ``transfer``."""
    import av

    sources = sorted((data / "davis_person" / "images").glob("*.jpg"))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx265", rate=25)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p10le"
        stream.options = {"x265-params": "log-level=error:bframes=0", "preset": "ultrafast"}
        context = stream.codec_context
        context.color_primaries, context.color_trc, context.colorspace, context.color_range = 9, transfer, 9, 1
        for i in range(frames):
            rgb = cv2.cvtColor(cv2.resize(cv2.imread(str(sources[i % len(sources)])), (1920, 1080)), cv2.COLOR_BGR2RGB)
            frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint16) * 257, format="rgb48le")
            frame = frame.reformat(format="yuv420p10le", dst_colorspace=av.video.reformatter.Colorspace.BT2020)
            frame.pts, frame.time_base = i, Fraction(1, 25)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def hdr_cost(segmenter, data: Path, frames: int, tmp: Path) -> None:
    import time

    from bgremover.hdr import HLG
    from bgremover.video import remove_background_video
    from bgremover.video_io import read_frames

    rows = {}
    for label, transfer in (("SDR (BT.2020 10-bit)", 14), ("HLG", HLG)):
        clip = tmp / f"hevc-{transfer}.mp4"
        hevc_clip(data, clip, frames, transfer)
        start = time.perf_counter()
        count = sum(1 for _ in read_frames(clip))
        decode = count / (time.perf_counter() - start)
        remove_background_video(clip, tmp / "warm.webm", model=segmenter, overwrite=True)  # warm-up
        result = remove_background_video(clip, tmp / "out.webm", model=segmenter, overwrite=True)
        rows[label] = (decode, result.frames_per_second)
    print(f"\n## HDR: 1080p 10-bit HEVC, {frames} frames, tagged SDR or HLG (fast model, transparent WebM out)\n")
    print("| tagged | decode fps | vs SDR | end-to-end fps | vs SDR |")
    print("|---|---|---|---|---|")
    sdr = next(iter(rows.values()))
    for label, (decode, total) in rows.items():
        print(f"| {label} | {decode:.1f} | {decode / sdr[0]:.2f}× | {total:.1f} | {total / sdr[1]:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="e.g. ../shared/data")
    parser.add_argument("--models", nargs="+", default=["fast", "default"])
    parser.add_argument("--frames", type=int, default=48, help="frames per speed clip")
    parser.add_argument("--long-frames", type=int, default=1500, help="frames of the memory clip (0: skip)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["stability", "speed", "memory", "hdr"])
    args = parser.parse_args()
    import os

    import torch

    from bgremover import load_model

    torch.set_num_threads(os.cpu_count() or 1)
    models = {name: load_model(name) for name in args.models}
    print(f"models: {', '.join(f'{n} ({type(m.network).__name__}, {m.working_size} px)' for n, m in models.items())}")
    if "stability" not in args.skip:
        stability(models, args.data)
    with tempfile.TemporaryDirectory() as folder:
        if "speed" not in args.skip:
            speed(models, args.data, args.frames, Path(folder))
        if "memory" not in args.skip and args.long_frames:
            memory(models.get("fast") or next(iter(models.values())), args.data, args.long_frames, Path(folder))
        if "hdr" not in args.skip:
            hdr_cost(models.get("fast") or next(iter(models.values())), args.data, args.frames, Path(folder))


if __name__ == "__main__":
    main()
