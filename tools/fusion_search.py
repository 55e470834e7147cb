"""Choose the ``best`` tier's fusion weight on the validation photos (never a benchmark set).

    python tools/fusion_search.py [--config configs/default-finetune.yaml] [--weights 0.3 0.4 0.5 0.6 0.7]
    python tools/fusion_search.py --base fast --no-flip --peer selfie
    python tools/fusion_search.py --multiscale  # the base with flip + multi-scale TTA

Runs the base model (flip TTA unless ``--no-flip``, multi-scale with ``--multiscale``, every person) and the peer
(:data:`bgremover.peers.PEERS`: rembg's U²-Net, or MediaPipe Selfie) once per validation photo, then
scores ``w × base + (1 − w) × peer`` (main subject, IoU at 0.5) for each ``w``, per part of the
validation set, with precision and recall, and the paired difference from the base alone. Write the
chosen weight into the fused tier's ``config.json`` (``bgremover/pretrained/bgremover-best/``,
``bgremover-fast-plus/``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from bgremover.peers import PEERS

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="a recipe or run config whose validation set to use")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0])
    parser.add_argument("--real-closeups", action="store_true", help="add the real close-ups part")
    parser.add_argument("--base", default="default", help="the model fused (default: the default tier)")
    parser.add_argument("--no-flip", action="store_true", help="the base without flip TTA")
    parser.add_argument("--multiscale", action="store_true", help="the base at the multi-scale TTA's scales too")
    parser.add_argument("--peer", choices=sorted(PEERS), default="u2net")
    parser.add_argument("--peer-path", help="the peer's weights file (default: the weights dir, else the download)")
    args = parser.parse_args()
    from bgremover import load_model
    from bgremover.constants import DEFAULT_RECIPE, MULTISCALE, SINGLE_SCALE
    from bgremover.metrics import iou
    from bgremover.metrics.paired import compare_scores
    from bgremover.peers import load_peer
    from bgremover.subjects import select_subjects
    from bgremover.train.validate import validation_samples

    samples, labels = validation_samples(args.config or DEFAULT_RECIPE, args.real_closeups)
    base = load_model(args.base)
    peer = load_peer(args.peer, args.peer_path, threads=2)
    maps = []
    scales = MULTISCALE if args.multiscale else SINGLE_SCALE
    for i, (image, mask) in enumerate(samples):
        mine = base.predict(image, tta=not args.no_flip, scales=scales, subject="all")
        maps.append((mine, peer(np.asarray(image)), mask))
        if i % 40 == 0:
            print(f"{i}/{len(samples)}", file=sys.stderr, flush=True)
    parts = [*dict.fromkeys(labels), "all"]
    columns = {p: [i for i, label in enumerate(labels) if label == p or p == "all"] for p in parts}
    print("| base weight | " + " | ".join(parts) + " | precision | recall | vs base (SE) |")
    print("|---" * (len(parts) + 4) + "|")
    scores = {}
    for weight in sorted({*args.weights, 1.0}, reverse=True):  # the base alone first: the others pair with it
        ious, precision, recall = [], [], []
        for base_map, peer_map, mask in maps:
            pred = select_subjects((weight * base_map + (1 - weight) * peer_map).astype(np.float32), "main") >= 0.5
            truth = mask >= 0.5
            ious.append(iou(pred.astype(np.float32), mask))
            precision.append((pred & truth).sum() / max(pred.sum(), 1))
            recall.append((pred & truth).sum() / max(truth.sum(), 1))
        scores[weight] = ious
        cells = [f"{np.mean([ious[i] for i in columns[p]]):.4f}" for p in parts]
        paired = compare_scores(ious, scores[1.0]) if 1.0 in scores else None
        versus = f"{paired['mean_difference']:+.4f} ({paired['standard_error']:.4f})" if paired else "—"
        print(
            f"| {weight:g} | " + " | ".join(cells) + f" | {np.mean(precision):.4f} | {np.mean(recall):.4f} | {versus} |"
        )


if __name__ == "__main__":
    main()
