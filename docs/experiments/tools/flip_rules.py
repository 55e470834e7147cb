"""Ways to combine flip TTA's two passes, scored on a training run's validation set.

Each photo is cut by ``predict`` as the model ships (runtime, working size, scales, upsampling,
main subject), once plain and once with flip TTA for each rule of :data:`RULES`, which combines
the plain and the mirrored pass at the network's resolution in place of
:func:`bgremover.imageops.merge_flip`. Prints the validation table (IoU at 0.5 per part) with every
row's paired difference from the first (the plain pass; for a fused tier whose config flips, the
first rule). The rules run without the model's own ``flip_shift``; ``--shift PX`` adds the shipped
rule with the mirrored pass moved ``PX`` network pixels right.

    python docs/experiments/tools/flip_rules.py --model fast --config configs/default-finetune.yaml --real-closeups

Never run on a benchmark set: the rules are chosen on validation (docs/experiments/2026-12-flip-tta.md).
"""

from __future__ import annotations

import argparse

import numpy as np

from bgremover.imageops import merge_flip


def logit_mean(p: np.ndarray, q: np.ndarray, shift: float = 0.0, eps: float = 1e-6) -> np.ndarray:
    """``sigmoid((logit p + logit q) / 2)``: the more confident pass wins a disagreement.

    Example:
        >>> float(logit_mean(np.float32([0.9]), np.float32([0.2]))[0]) > 0.5  # 0.9 is the surer
        True
    """
    p, q = (np.clip(x, eps, 1 - eps).astype(np.float64) for x in (p, q))
    odds = np.sqrt(p / (1 - p) * q / (1 - q))
    return (odds / (1 + odds)).astype(np.float32)


RULES = {
    "mean": lambda p, q, shift=0.0: (p + q) / 2,  # the rules take merge_flip's arguments; rows run unshifted
    "max": lambda p, q, shift=0.0: np.maximum(p, q),
    "logit mean": logit_mean,
    "max at the sides": merge_flip,  # the outer 5 % of columns; what flip TTA ships with since 0.7.0
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model source (default: the default model)")
    parser.add_argument("--config", default=None, help="a recipe or a run's config.json: its validation set")
    parser.add_argument("--real-closeups", action="store_true", help="add the validation part of real close-ups")
    parser.add_argument("--rules", nargs="+", choices=list(RULES), default=list(RULES), help="rules to score")
    parser.add_argument(
        "--shift", nargs="*", type=float, default=[], help="also the shipped rule with the mirrored pass moved PX right"
    )
    args = parser.parse_args()
    import bgremover.inference
    from bgremover import load_model
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.train.validate import score_rows, table, validation_samples

    segmenter = load_model(args.model)
    own_shift, segmenter.flip_shift = segmenter.flip_shift, 0.0  # the rules as they are; --shift adds a row
    samples, labels = validation_samples(args.config or DEFAULT_RECIPE, args.real_closeups)
    rows = score_rows([("plain", segmenter)], samples)  # a fused tier with flip in its config: flipped here too
    shipped = bgremover.inference.merge_flip
    try:
        for name in args.rules:
            bgremover.inference.merge_flip = RULES[name]  # every flip pass of predict, fused tiers' included
            rows |= score_rows([(f"flip, {name}", segmenter)], samples, variants=("+flip",))
    finally:
        bgremover.inference.merge_flip = shipped
    for shift in args.shift:
        segmenter.flip_shift = shift
        rows |= score_rows([(f"flip, max at the sides, mirrored {shift:+.2f} px", segmenter)], samples, ("+flip",))
    segmenter.flip_shift = own_shift
    print(f"{args.model or 'default'}: {len(samples)} validation photos")
    print("\n".join(table({name.removesuffix("+flip"): ious for name, ious in rows.items()}, labels, 4, paired=True)))


if __name__ == "__main__":
    main()
