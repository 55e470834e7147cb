"""How good a distillation target is, as a 256² student sees it: every validation photo squashed to
``--size``², a model's logits through :func:`bgremover.losses.teacher_logits` (enlarged by
``--scale``, mirrored pass averaged with ``--flip``), IoU against the squashed mask, per part of the
recipe's validation set (`bgremover validate`'s) and over all:

    python docs/experiments/tools/teacher_targets.py --model fast default --scales 1 1.5 2 [--size 256]

Each model is scored at scale 1 without flip and at every ``--scales`` value with flip. Used to choose
``--teacher-scale`` / ``--teacher-flip`` for a fast-tier fine-tune; never run on a benchmark set.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from bgremover.constants import DEFAULT_RECIPE
from bgremover.train.validate import validation_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["fast", "default"], help="model sources")
    parser.add_argument("--scales", nargs="+", type=float, default=[1.0, 1.5, 2.0])
    parser.add_argument("--size", type=int, default=256, help="the student's square input side")
    parser.add_argument("--config", help="a recipe whose validation set to use (default: the committed one)")
    args = parser.parse_args()
    from bgremover.hub import load_network
    from bgremover.imageops import resize_for_network
    from bgremover.losses import teacher_logits
    from bgremover.metrics import iou

    torch.set_num_threads(2)
    samples, labels = validation_samples(args.config or DEFAULT_RECIPE)
    parts = list(dict.fromkeys(labels))
    print("| target | " + " | ".join(parts) + " | all |\n" + "|---" * (len(parts) + 2) + "|")
    for source in args.model:
        network = load_network(source).eval()
        variants = [(1.0, False)] + [(scale, True) for scale in args.scales]
        for scale, flip in variants:
            scores = []
            for image, mask in samples:
                small = resize_for_network(image, args.size, square=True)
                batch = torch.from_numpy(np.ascontiguousarray(small.transpose(2, 0, 1))[None]).float() / 255
                prob = torch.sigmoid(teacher_logits(network, batch, scale, flip))[0, 0].numpy()
                scores.append(iou(prob, resize_for_network(np.asarray(mask, np.float32), args.size, True) > 0.5))
            scores, names = np.array(scores), np.array(labels)
            cells = [f"{scores[names == part].mean():.4f}" for part in parts] + [f"{scores.mean():.4f}"]
            print(f"| {source}, {scale:g}×{' + flip' if flip else ''} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
