"""How closely does an int8 file follow its network? Models scored against the unquantized network's own
answers, on the recipe's validation set and on folders of photos without masks.

    python docs/experiments/tools/int8_agreement.py --reference runs/fast-f32 \\
        --model shipped=fast new=runs/NAME [--photos webcam=FOLDER ...] [--config configs/default-finetune.yaml]

Quantization should change nothing a person sees, so its error is the distance from the unquantized
network, which needs no mask: any held-out photo of the framing the tier serves can measure it. Per
part of the validation set and per ``--photos`` folder it prints each model's IoU with the reference's
mask (both at 0.5) and the mean absolute difference of the alphas (×1000), then the paired difference
from the first model with its bootstrap standard error (:func:`bgremover.metrics.paired.compare_scores`),
and last the validation set's IoU against its masks.
"""

from __future__ import annotations

import argparse

import numpy as np

METRICS = {"IoU with the reference": 1.0, "mean |alpha difference| ×1000": 1000.0}


def agreement(alpha: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(IoU of the two masks at 0.5, mean absolute difference of the alphas).

    Example:
        >>> a = np.zeros((4, 4), np.float32); a[:2] = 1.0
        >>> b = a.copy(); b[:1] = 0.4
        >>> [round(value, 3) for value in agreement(a, b)]
        [0.5, 0.15]
    """
    from bgremover.metrics import iou

    return iou((alpha >= 0.5).astype(np.float32), (reference >= 0.5).astype(np.float32)), float(
        np.abs(alpha - reference).mean()
    )


def table(rows: dict[str, np.ndarray], parts: dict[str, list[int]], scale: float) -> list[str]:
    """Markdown: each model's mean per part, then (after the first) its paired difference from the first."""
    from bgremover.metrics.paired import compare_scores

    first = next(iter(rows))
    lines = ["| model | " + " | ".join(parts) + " |", "|---" * (len(parts) + 1) + "|"]
    for name, values in rows.items():
        cells = []
        for indices in parts.values():
            cell = f"{scale * values[indices].mean():.4f}"
            if name != first:
                stats = compare_scores(scale * values[indices], scale * rows[first][indices])
                cell += f" ({stats['mean_difference']:+.4f}, {stats['standard_error']:.4f})"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    from bgremover.batch import collect_inputs
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.io import read_image
    from bgremover.metrics import iou
    from bgremover.models import load_model
    from bgremover.train.validate import validation_samples

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, help="the unquantized model (a folder or a shipped name)")
    parser.add_argument(
        "--model", nargs="+", required=True, help="NAME=SOURCE: the int8 models, the first the baseline"
    )
    parser.add_argument("--photos", nargs="*", default=[], help="NAME=FOLDER: photos without masks")
    parser.add_argument("--config", default=DEFAULT_RECIPE, help="the recipe whose validation set to use")
    parser.add_argument("--worst", type=int, default=0, help="list each model's N photos furthest from the reference")
    args = parser.parse_args()

    samples, labels = validation_samples(args.config)
    images = [image for image, _ in samples]
    files = [f"validation {i}" for i in range(len(samples))]
    for spec in args.photos:
        name, folder = spec.split("=", 1)
        paths = [path for path, _ in collect_inputs([folder])]
        images += [read_image(path) for path in paths]
        labels = [*labels, *[name] * len(paths)]
        files += [str(path) for path in paths]
    parts = {part: [i for i, label in enumerate(labels) if label == part] for part in dict.fromkeys(labels)}
    reference = load_model(args.reference)
    references = [reference.predict(image) for image in images]
    agreements, label_ious = {}, {}
    for spec in args.model:
        name, source = spec.split("=", 1)
        model = load_model(source)
        alphas = [model.predict(image) for image in images]
        agreements[name] = np.array([agreement(a, r) for a, r in zip(alphas, references, strict=True)])
        label_ious[name] = np.array(
            [iou((a >= 0.5).astype(np.float32), mask) for a, (_, mask) in zip(alphas, samples, strict=False)]
        )
    for name, values in agreements.items() if args.worst else ():
        order = np.argsort(values[:, 0])[: args.worst]
        print(f"{name}, furthest from the reference: " + ", ".join(f"{files[i]} {values[i, 0]:.3f}" for i in order))
    print(f"{len(images)} photos: " + ", ".join(f"{part} {len(i)}" for part, i in parts.items()) + "\n")
    for column, (metric, scale) in enumerate(METRICS.items()):
        print(f"{metric} (paired difference from {next(iter(agreements))}, standard error):\n")
        print("\n".join(table({n: v[:, column] for n, v in agreements.items()}, parts, scale)) + "\n")
    validation = {part: indices for part, indices in parts.items() if indices[0] < len(samples)}
    print("IoU against the validation set's masks:\n")
    print("\n".join(table(label_ious, validation | {"all": list(range(len(samples)))}, 1.0)))


if __name__ == "__main__":
    main()
