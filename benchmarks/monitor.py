"""Monitor calibration: how often ordinary photos raise an alarm, and how often odd inputs do.

For each benchmark set (CCP test, DAVIS, web photos — never part of the reference) the share of
requests flagged as anomalies and whether a window of them trips the drift alert; for deliberately
odd inputs (blank frames, noise, screenshots of text, upside-down photos) the share flagged. The
reference is the model folder's ``drift_reference.json`` (``bgremover monitor-reference``).

    python -m benchmarks.monitor --data ../shared/data [--model default] [--per-set 120]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import cv2
import numpy as np


def odd_inputs(
    photos: list[np.ndarray], portraits: list[np.ndarray], count: int, seed: int = 0
) -> dict[str, list[np.ndarray]]:
    """Inputs a person-cutting service should notice: blank, noise, text screenshots, upside-down photos
    (full-body street photos, and web portraits and half-body shots)."""
    rng = np.random.default_rng(seed)
    blank = [np.full((480, 640, 3), rng.integers(0, 256, 3), np.uint8) for _ in range(count)]
    noise = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(count)]
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "0123456789", "file", "edit", "view"]
    text = []
    for _ in range(count):
        page = np.full((600, 800, 3), 255, np.uint8)
        for row in range(30, 600, 28):
            line = " ".join(rng.choice(words, 8))
            cv2.putText(page, line, (20, row), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 20, 20), 1, cv2.LINE_AA)
        text.append(page)

    def turned(images):
        return [np.ascontiguousarray(p[::-1, ::-1]) for p in images[:count]]

    return {
        "blank": blank,
        "noise": noise,
        "text screenshot": text,
        "upside-down full-body photo": turned(photos),
        "upside-down web portrait": turned(portraits),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--per-set", type=int, default=120, help="photos per benchmark set (0: all)")
    parser.add_argument("--odd", type=int, default=40, help="inputs per odd kind")
    args = parser.parse_args()
    from bgremover import load_model, read_image
    from bgremover.data import find_pairs, read_split
    from bgremover.hub import resolve_source
    from bgremover.io import read_mask
    from bgremover.serve.monitor import DriftReference, Monitor
    from bgremover_leaderboard.framing import framing

    folder = resolve_source(args.model)
    reference = DriftReference.load(folder)
    if reference is None:
        raise SystemExit(f"{folder} has no drift reference: run bgremover monitor-reference first")
    segmenter = load_model(args.model)
    print(f"model {args.model}; reference: {len(reference.samples['brightness'])} photos")
    print("\n| inputs | n | flagged | most common flag | window alert |")
    print("|---|---|---|---|---|")
    photos_for_odd: dict[str, list[np.ndarray]] = {}

    def run(name: str, images) -> None:
        monitor = Monitor(reference, window=len(images))
        flags: Counter = Counter()
        flagged = 0
        for rgb in images:
            record = monitor.record(rgb, segmenter.predict(rgb), 0.0)
            flagged += record["anomaly"]
            flags.update(" ".join(flag.split(" ")[:2]) for flag in record["anomalies"])
        drift = monitor.summary()["drift"]
        common = ", ".join(f"{k} ({v})" for k, v in flags.most_common(2)) or "—"
        alert = "ALERT" if drift and drift["alert"] else "no"
        print(f"| {name} | {len(images)} | {flagged / len(images):.1%} | {common} | {alert} |")

    ccp = args.data / "ccp_person"
    sets = {
        "CCP test": find_pairs(ccp, read_split(ccp / "splits" / "test.txt")),
        "DAVIS": find_pairs(args.data / "davis_person"),
        "web photos": find_pairs(args.data / "web_people"),
    }
    chosen: dict[str, list] = {}
    for key, pairs in sets.items():
        if args.per_set:
            pairs = pairs[:: max(1, len(pairs) // args.per_set)][: args.per_set]
        chosen[key] = pairs
        photos_for_odd[key] = [read_image(image) for image, _ in pairs]
        run(key, photos_for_odd[key])
    portraits = [  # the web photos framed as close-ups or half-body shots, by their masks
        rgb
        for rgb, (_, mask) in zip(photos_for_odd["web photos"], chosen["web photos"], strict=True)
        if framing(read_mask(mask)) in ("close-up", "half-body")
    ]
    for name, images in odd_inputs(photos_for_odd["CCP test"], portraits, args.odd).items():
        run(name, images)


if __name__ == "__main__":
    main()
