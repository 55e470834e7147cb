"""Did a run learn its hard negatives? Models scored on close-up composites of the validation people
with an object touching each of them (``TrainConfig.negatives``), against the same composites without it.

    python docs/experiments/tools/negatives_check.py --negatives runs/objects --model shipped=default new=runs/NAME

The validation people of the committed recipe (its 80 held-out photos) are composited as close-ups
(:data:`bgremover.data.CLOSEUP_FRAMINGS`) on the training rooms twice with one seed per person: once as they
are and once with an object cut out of a room pasted touching them (``negative_p`` 1, behind or in front as
training draws it; ``--front-p 0`` behind only, ``1`` in front only). Prints IoU, precision and recall
per model on both, and what the object costs each model. The objects come from training rooms, so this
tells whether a network learned what it was shown, not whether it generalises; the teacher-labelled
held-out frames tell that.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np


def scores(alpha: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """(IoU, precision, recall) of ``alpha`` against ``mask``, both at 0.5 (:mod:`bgremover.metrics`)."""
    from bgremover.metrics import iou, precision, sensitivity

    return iou(alpha, mask), precision(alpha, mask), sensitivity(alpha, mask)


def main() -> None:
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.data import CLOSEUP_FRAMINGS, CopyPaste
    from bgremover.models import load_model
    from bgremover.train.builders import build_datasets, negative_source
    from bgremover.train.config import TrainConfig
    from bgremover.train.validate import parse_model

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--negatives", nargs="+", required=True, help="folders of object cut-outs")
    parser.add_argument("--model", nargs="+", required=True, help="NAME=SOURCE[:WORKING_SIZE]")
    parser.add_argument("--config", default=DEFAULT_RECIPE)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--front-p", type=float, help="the share of objects in front of the people (default: training's)"
    )
    args = parser.parse_args()

    config = TrainConfig.from_file(args.config)
    config.val_closeups = config.val_bokeh = config.val_real_closeups = False
    _, people = build_datasets(config)
    people.transform = None
    objects = negative_source(tuple(args.negatives))
    touching = {"negative_p": 1.0} | ({} if args.front_p is None else {"negative_front_p": args.front_p})
    framings = {"plain": CLOSEUP_FRAMINGS, "object": dataclasses.replace(CLOSEUP_FRAMINGS, **touching)}
    sets = {}
    for name, framing in framings.items():
        rooms = CopyPaste.from_folder(*config.backgrounds, config=framing, seed=args.seed, negatives=objects)
        sets[name] = [rooms(*people.load(i), seed=i) for i in range(len(people))]
    print(f"{len(people)} validation people as close-ups, without and with an object touching them\n")
    print("| model | plain IoU | with object IoU | precision | recall | IoU the object costs |")
    print("|---|---|---|---|---|---|")
    for name, source, size in map(parse_model, args.model):
        model = load_model(source, working_size=size)
        rows = {
            key: np.array([scores(model.predict(image), mask) for image, mask in pairs]) for key, pairs in sets.items()
        }
        plain, touched = rows["plain"], rows["object"]
        cost = plain[:, 0] - touched[:, 0]
        se = cost.std(ddof=1) / np.sqrt(len(cost))
        print(
            f"| {name} | {plain[:, 0].mean():.4f} | {touched[:, 0].mean():.4f} | {touched[:, 1].mean():.4f} "
            f"| {touched[:, 2].mean():.4f} | {cost.mean():+.4f} ({se:.4f}) |"
        )


if __name__ == "__main__":
    main()
