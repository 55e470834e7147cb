"""Where flip TTA gains and loses: the network's mirrored pass against its plain pass.

For each photo the network runs on the image and on its mirror image (un-mirrored after). Prints,
per set: IoU of the plain pass, the mirrored pass, flip TTA as it ships
(:func:`bgremover.imageops.merge_flip`; the plain average until 0.6.0) and their average after
shifting the mirrored pass onto the plain one (phase correlation); how far apart the two passes are
(network pixels, phase correlation: twice the output's own horizontal offset); and the horizontal
and vertical shifts of the plain pass (photo pixels, 0.25 px steps) that best fit the set's masks,
which is where that set's masks sit against the network's output. ``--shifts`` adds flip averages
with the mirrored pass moved a fixed number of network pixels to the right first. ``--peers``
prints the same best fits for other methods of the leaderboard on the benchmark sets: masks that
sit off the people show up as the same offset for every method. ``--sides`` splits each set by
the vertical frame edges its people touch, with the mirrored pass's loss and its standard error
for each: a network that is not mirror-symmetric at the frame's edges (timm's TF-style "same"
padding pads only the right and bottom) would lose on one side and gain on the other.

    python docs/experiments/tools/flip_alignment.py [--config RUN/config.json] [--data ../shared/data --per-set 40]
        [--shifts 0.25 0.5 0.75] [--peers u2netp mediapipe_selfie] [--sides]

Sets: a training run's validation parts (``--config``); with ``--data``, CCP test, DAVIS and
web_people photos (diagnosis only: never used to choose a model).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

SHIFTS = np.arange(-2.0, 2.01, 0.25)  # photo pixels tried when fitting the masks
BENCHMARKS = ("ccp_test", "davis", "web_people")


def shifted(image: np.ndarray, dx: float, dy: float = 0.0) -> np.ndarray:
    """``image`` moved ``dx`` pixels to the right and ``dy`` down (bilinear, edges replicated)."""
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, image.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def best_fit(alphas: list[np.ndarray], masks: list[np.ndarray], vertical: bool = False) -> float:
    """The horizontal (``vertical``: downward) shift (photo pixels, from :data:`SHIFTS`) of ``alphas``
    that best fits ``masks`` (mean IoU; the middle of the best shifts where several tie).

    Example:
        >>> mask = np.zeros((20, 40), np.float32); mask[5:15, 10:30] = 1
        >>> soft = cv2.blur(mask, (5, 1))  # an answer with soft edges...
        >>> float(best_fit([np.roll(soft, -1, axis=1)], [mask]))  # ...one pixel left of the mask
        1.0
        >>> float(best_fit([np.roll(soft.T, 1, axis=0)], [mask.T], vertical=True))  # one pixel below
        -1.0
    """
    from bgremover.metrics import iou

    moves = [(0.0, d) if vertical else (d, 0.0) for d in SHIFTS]
    scores = [[iou(shifted(alpha, *move), mask) for move in moves] for alpha, mask in zip(alphas, masks, strict=True)]
    mean = np.mean(scores, axis=0)
    return float(SHIFTS[mean == mean.max()].mean())  # the middle of tied shifts: IoU counts whole pixels


def touched_sides(mask: np.ndarray, band: int = 2, share: float = 0.02) -> str:
    """Which vertical edges of the frame the person in ``mask`` touches (more than ``share`` of the
    ``band`` outermost columns): ``"left"``, ``"right"``, ``"both"`` or ``"neither"``.

    Example:
        >>> mask = np.zeros((10, 20), np.float32); mask[2:, 15:] = 1
        >>> touched_sides(mask), touched_sides(mask[:, ::-1]), touched_sides(np.pad(mask, ((0, 0), (0, 3))))
        ('right', 'left', 'neither')
    """
    left, right = (bool((mask[:, cols] > 0.5).mean() > share) for cols in (slice(0, band), slice(-band, None)))
    return {(True, True): "both", (True, False): "left", (False, True): "right"}.get((left, right), "neither")


def print_sides(pairs: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
    """The plain and mirrored passes' IoU per set and touched edge, with the mirrored pass's loss."""
    print("\n| set | people touch | photos | plain | mirrored | mirrored − plain | standard error |")
    print("|---|---|---|---|---|---|---|")
    for (label, side), scores in pairs.items():
        plain, mirrored = np.array(scores).T
        error = np.std(mirrored - plain, ddof=1) / np.sqrt(len(plain)) if len(plain) > 1 else float("nan")
        cells = f"{plain.mean():.4f} | {mirrored.mean():.4f} | {np.mean(mirrored - plain):+.4f} | {error:.4f}"
        print(f"| {label} | {side} | {len(plain)} | {cells} |")


def benchmark_samples(data: Path, per_set: int) -> tuple[list, list[str]]:
    """Up to ``per_set`` evenly spaced (image, mask) pairs of each of :data:`BENCHMARKS`."""
    from bgremover.io import read_image, read_mask
    from bgremover_leaderboard.datasets import benchmarks

    sets = benchmarks(data)
    samples, labels = [], []
    for name in BENCHMARKS:
        pairs = sets[name].pairs
        for image, mask in pairs[:: max(1, len(pairs) // per_set)][:per_set]:
            samples.append((read_image(image), read_mask(mask)))
            labels.append(name)
    return samples, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--config", help="a recipe or a run's config.json: its validation set (default: configs/default-finetune.yaml)"
    )
    parser.add_argument("--model", default=None, help="model source (default: the default model)")
    parser.add_argument("--real-closeups", action="store_true", help="add the validation part of real close-ups")
    parser.add_argument("--data", type=Path, default=None, help="benchmark data folder (diagnosis only)")
    parser.add_argument("--per-set", type=int, default=40, help="photos per benchmark set")
    parser.add_argument("--shifts", nargs="*", type=float, default=[], help="fixed moves of the mirrored pass (net px)")
    parser.add_argument("--peers", nargs="*", default=[], help="leaderboard methods to fit to the benchmark masks too")
    parser.add_argument("--sides", action="store_true", help="split the passes by the frame edges people touch")
    args = parser.parse_args()
    from bgremover import load_model
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.imageops import merge_flip, resize_for_network
    from bgremover.metrics import iou
    from bgremover.subjects import main_subjects
    from bgremover.train.validate import validation_samples

    segmenter = load_model(args.model)
    samples, labels = validation_samples(args.config or DEFAULT_RECIPE, args.real_closeups)
    if args.data is not None:
        more, more_labels = benchmark_samples(args.data, args.per_set)
        samples, labels = samples + more, labels + more_labels
    scores, gaps, fits, sides = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    names = ["plain", "mirrored", "flip TTA", "flip, aligned", *(f"flip, mirrored {dx:+.2f}" for dx in args.shifts)]
    for (rgb, mask), label in zip(samples, labels, strict=True):
        x = resize_for_network(rgb, segmenter.working_size, segmenter.square)
        plain = segmenter._probabilities([x], flip=False)[0]
        mirrored = np.ascontiguousarray(segmenter._probabilities([x[:, ::-1]], flip=False)[0][:, ::-1])
        (gap, _), _ = cv2.phaseCorrelate(plain.astype(np.float64), mirrored.astype(np.float64))
        gaps[label].append(gap)
        passes = (
            {
                "plain": plain,
                "mirrored": mirrored,
                "flip TTA": merge_flip(plain, mirrored, segmenter.flip_shift),  # as predict(tta=True) merges them
                "flip, aligned": (plain + shifted(mirrored, -gap)) / 2,
            }
            | {name: (plain + shifted(mirrored, dx)) / 2 for name, dx in zip(names[4:], args.shifts, strict=True)}
        )
        for name, prob in passes.items():
            alpha = segmenter.to_photo(rgb, main_subjects(prob), x)  # as the tier brings its map to the photo
            scores[name, label].append(iou(alpha, mask))
            if name == "plain":
                fits[label].append((alpha, mask))
        pair = (scores["plain", label][-1], scores["mirrored", label][-1])
        for group in (label, "all"):
            sides[group, touched_sides(mask)].append(pair)
    columns = ["set", "photos", *names, "mirrored − plain (net px)", "best fit of the masks, x / y (photo px)"]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for label in dict.fromkeys(labels):
        row = [f"{np.mean(scores[name, label]):.4f}" for name in names]
        x, y = (best_fit(*zip(*fits[label], strict=True), vertical=v) for v in (False, True))
        row += [f"{np.mean(gaps[label]):+.2f}", f"{x:+.2f} / {y:+.2f}"]
        print(f"| {label} | {len(gaps[label])} | {' | '.join(row)} |")
    if args.sides:
        print_sides(dict(sorted(sides.items())))
    if args.peers and args.data is not None:
        from bgremover_leaderboard.methods import all_methods

        methods = all_methods()
        benchmark = [(pair, label) for pair, label in zip(samples, labels, strict=True) if label in BENCHMARKS]
        print("\n| method | " + " | ".join(f"best fit on {name}, x / y (photo px)" for name in BENCHMARKS) + " |")
        print("|---|" + "---|" * len(BENCHMARKS))
        for peer in args.peers:
            answers = defaultdict(list)
            for (image, mask), label in benchmark:
                answers[label].append((methods[peer].predict(image).astype(np.float32), mask))
            pairs = [list(zip(*answers[name], strict=True)) for name in BENCHMARKS]
            cells = [f"{best_fit(*pair):+.2f} / {best_fit(*pair, vertical=True):+.2f}" for pair in pairs]
            print(f"| {peer} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
