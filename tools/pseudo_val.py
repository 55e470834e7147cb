"""Score models on pseudo-labelled frames held out whole (clips and gesture folders never trained on),
on the pixels the teachers agree on only (the unknown ones, 128 in the masks, are left out): IoU
per source, precision and recall over all and per source, and each model's paired difference from the
first.

    python tools/pseudo_val.py --folder runs/pseudo/val --model shipped=default new=runs/NAME/best [--tta] [--worst N]

This is evidence only where the teachers agree: it cannot tell a model that beats every teacher on a
frame from one that is wrong there. The held-out portraits with hand-cut masks decide.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def scores(pred: np.ndarray, label: np.ndarray) -> tuple[float, float, float]:
    """(IoU, precision, recall) of ``pred`` (bool) against ``label`` (1, 0, NaN unknown) on known pixels.

    Example:
        >>> scores(np.array([True, True, False]), np.array([1.0, np.nan, 0.0]))
        (1.0, 1.0, 1.0)
    """
    known = ~np.isnan(label)
    truth, pred = label[known] >= 0.5, pred[known]
    inter, union = (pred & truth).sum(), (pred | truth).sum()
    return (
        float(inter / union) if union else 1.0,
        float(inter / pred.sum()) if pred.sum() else 1.0,
        float(inter / truth.sum()) if truth.sum() else 1.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", default="runs/pseudo/val")
    parser.add_argument("--model", nargs="+", required=True, help="NAME=SOURCE")
    parser.add_argument("--tta", action="store_true", help="flip TTA for every model")
    parser.add_argument(
        "--worst", type=int, default=0, help="list the N frames where the first model's precision is lowest"
    )
    args = parser.parse_args()
    from bgremover import load_model
    from bgremover.data.pseudo_labels import decode_label
    from bgremover.io import read_image, read_mask
    from bgremover.metrics.paired import compare_scores

    folder = Path(args.folder)
    stems = sorted(p.stem for p in (folder / "masks").glob("*.png"))
    sources = [stem.split("-")[0] for stem in stems]
    labels = [decode_label(read_mask(folder / "masks" / f"{s}.png")) for s in stems]
    print(f"{len(stems)} held-out frames: " + ", ".join(f"{sources.count(s)} {s}" for s in dict.fromkeys(sources)))
    print("\n| model | " + " | ".join(dict.fromkeys(sources)) + " | all IoU | precision | recall | vs first (SE) |")
    print("|---" * (len(set(sources)) + 5) + "|")
    first, per_model = None, {}
    for spec in args.model:
        name, source = spec.split("=", 1)
        model = load_model(source)
        rows = [
            scores(model.predict(read_image(folder / "images" / f"{s}.jpg"), tta=args.tta) >= 0.5, label)
            for s, label in zip(stems, labels, strict=True)
        ]
        ious = [r[0] for r in rows]
        per_model[name] = rows
        per_source = [
            np.mean([iou for iou, src in zip(ious, sources, strict=True) if src == s]) for s in dict.fromkeys(sources)
        ]
        first = first or ious
        paired = compare_scores(ious, first)
        print(
            f"| {name} | "
            + " | ".join(f"{v:.4f}" for v in per_source)
            + f" | {np.mean(ious):.4f} | {np.mean([r[1] for r in rows]):.4f} | {np.mean([r[2] for r in rows]):.4f}"
            + f" | {paired['mean_difference']:+.4f} ({paired['standard_error']:.4f}) |",
            flush=True,
        )
    print("\nprecision / recall per source:\n\n| model | " + " | ".join(dict.fromkeys(sources)) + " |")
    print("|---" * (len(set(sources)) + 1) + "|")
    for name, rows in per_model.items():
        cells = []
        for source in dict.fromkeys(sources):
            mine = [r for r, src in zip(rows, sources, strict=True) if src == source]
            cells.append(f"{np.mean([r[1] for r in mine]):.4f} / {np.mean([r[2] for r in mine]):.4f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.worst:
        name, rows = next(iter(per_model.items()))
        print(f"\nthe {args.worst} frames where {name} has the lowest precision (IoU / precision / recall):\n")
        for stem, (iou, precision, recall) in sorted(zip(stems, rows, strict=True), key=lambda r: r[1][1])[
            : args.worst
        ]:
            print(f"- {stem}: {iou:.3f} / {precision:.3f} / {recall:.3f}")


if __name__ == "__main__":
    main()
