"""Ways to combine flip TTA's two passes, scored on a training run's validation set.

Each photo is cut by ``predict`` as the model ships (runtime, working size, scales, upsampling,
main subject), once plain and once with flip TTA for each rule of :data:`RULES`, which combines
the plain and the mirrored pass at the network's resolution in place of
:func:`bgremover.imageops.merge_flip`. Prints the validation table (IoU at 0.5 per part) with every
row's paired difference from the first (the plain pass; for a fused tier whose config flips, the
first rule). Every rule moves the mirrored pass ``--shift`` network pixels right first (default 0,
whatever the model's own ``flip_shift``). ``--linked`` also scores each rule with the flipped map's
main-subject regions linked by hysteresis (:func:`linked_subjects`), a candidate that was not adopted.

    python docs/experiments/tools/flip_rules.py --model fast --config configs/default-finetune.yaml --real-closeups

Never run on a benchmark set: the rules are chosen on validation (docs/experiments/2026-12-flip-tta.md).
"""

from __future__ import annotations

import argparse

import numpy as np

from bgremover.imageops import merge_flip, shift_columns
from bgremover.subjects import main_subjects, select_subjects

LINK_LOW = 0.25  # where one pass holds a pixel at p >= 0.5 and the other at 0, the mean is p / 2 >= 0.25


def logit_mean(p: np.ndarray, q: np.ndarray, shift: float = 0.0, eps: float = 1e-6) -> np.ndarray:
    """``sigmoid((logit p + logit q) / 2)``: the more confident pass wins a disagreement.

    Example:
        >>> float(logit_mean(np.float32([0.9]), np.float32([0.2]))[0]) > 0.5  # 0.9 is the surer
        True
    """
    q = shift_columns(q, shift)
    p, q = (np.clip(x, eps, 1 - eps).astype(np.float64) for x in (p, q))
    odds = np.sqrt(p / (1 - p) * q / (1 - q))
    return (odds / (1 + odds)).astype(np.float32)


def max_at_sides(p: np.ndarray, q: np.ndarray, shift: float = 0.0, share: float = 0.05) -> np.ndarray:
    """The mean of ``p`` and ``q`` (``q`` moved ``shift`` px right), but their max in the outer
    ``share`` of columns on each side: a step at the band's inner edge (the ramped rule replaced it).

    Example:
        >>> p, q = np.zeros((1, 40), np.float32), np.zeros((1, 40), np.float32)
        >>> p[0, [0, 1, 20]] = 0.9
        >>> [round(float(x), 2) for x in max_at_sides(p, q)[0, [0, 1, 20]]]
        [0.9, 0.9, 0.45]
    """
    q = shift_columns(q, shift)
    out = (p + q) / 2
    band = max(1, round(p.shape[-1] * share))
    for cols in (slice(0, band), slice(-band, None)):
        out[..., cols] = np.maximum(p[..., cols], q[..., cols])
    return out


def linked_subjects(alpha: np.ndarray, subject: str) -> np.ndarray:
    """:func:`bgremover.subjects.select_subjects`, with ``"main"``'s regions linked at :data:`LINK_LOW`:
    a piece one pass holds and the other misses stays joined to its person.

    Example:
        >>> alpha = np.zeros((100, 100), np.float32)
        >>> alpha[10:90, 10:50] = 1.0  # the person
        >>> alpha[40:50, 50:60] = 0.45  # the arm: one pass held it at 0.9, the other missed it
        >>> alpha[40:50, 60:70] = 1.0  # the hand, which both passes hold
        >>> float(select_subjects(alpha, "main")[45, 65]), float(linked_subjects(alpha, "main")[45, 65])
        (0.0, 1.0)
    """
    return main_subjects(alpha, low=LINK_LOW) if subject == "main" else select_subjects(alpha, subject)


RULES = {
    "mean": lambda p, q, shift=0.0: (p + (shift_columns(q, shift))) / 2,  # merge_flip's arguments
    "max": lambda p, q, shift=0.0: np.maximum(p, shift_columns(q, shift)),
    "logit mean": logit_mean,
    "max at the sides": max_at_sides,
    "max at the sides, ramped": merge_flip,  # what flip TTA ships with since 0.7.0
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model source (default: the default model)")
    parser.add_argument("--config", default=None, help="a recipe or a run's config.json: its validation set")
    parser.add_argument("--real-closeups", action="store_true", help="add the validation part of real close-ups")
    parser.add_argument("--rules", nargs="+", choices=list(RULES), default=list(RULES), help="rules to score")
    parser.add_argument("--against", choices=list(RULES), help="pair the rows with this rule's, not the plain pass")
    parser.add_argument("--shift", type=float, default=0.0, help="move the mirrored pass PX network px right first")
    parser.add_argument("--linked", action="store_true", help="also score each rule with linked subject regions")
    args = parser.parse_args()
    import bgremover.inference
    from bgremover import load_model
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.train.validate import score_rows, table, validation_samples

    segmenter = load_model(args.model)
    own_shift, segmenter.flip_shift = segmenter.flip_shift, args.shift  # not the run block's: the one asked for
    samples, labels = validation_samples(args.config or DEFAULT_RECIPE, args.real_closeups)
    rows = score_rows([("plain", segmenter)], samples)  # a fused tier with flip in its config: flipped here too
    shipped = bgremover.inference.merge_flip
    try:
        for name in args.rules:
            bgremover.inference.merge_flip = RULES[name]  # every flip pass of predict, fused tiers' included
            rows |= score_rows([(f"flip, {name}", segmenter)], samples, variants=("+flip",))
            if args.linked:
                bgremover.inference.select_subjects = linked_subjects  # the flipped passes only: "+flip"
                rows |= score_rows([(f"flip, {name}, linked", segmenter)], samples, variants=("+flip",))
                bgremover.inference.select_subjects = select_subjects
    finally:
        bgremover.inference.merge_flip = shipped
        bgremover.inference.select_subjects = select_subjects
    segmenter.flip_shift = own_shift
    print(f"{args.model or 'default'}: {len(samples)} validation photos, mirrored pass moved {args.shift:+.2f} px")
    if args.against:  # the table pairs every row with its first
        first = f"flip, {args.against}+flip"
        rows = {first: rows[first]} | {name: ious for name, ious in rows.items() if name != first}
    print("\n".join(table({name.removesuffix("+flip"): ious for name, ious in rows.items()}, labels, 4, paired=True)))


if __name__ == "__main__":
    main()
