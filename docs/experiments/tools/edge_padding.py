"""Does a frame-edge margin help a network at the frame's edges? Models scored on a training run's
validation set as they run, and again on each photo padded by a margin of its own edge pixels (replicated
or mirrored) before the network sees it, the answer cropped back.

    python docs/experiments/tools/edge_padding.py --model fast [--margins 0.03 0.06] [--mode replicate]

People cut by the frame's sides (close-ups' shoulders) meet the network's zero padding at the border; a
margin moves them inside. The photo keeps its aspect and working size, so the person gets fewer pixels.
Prints the validation table (``bgremover.train.validate.table``) with each margin as a row, paired
against the plain run.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

BORDERS = {"replicate": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT_101}


class Padded:
    """``segmenter`` run on the photo with ``margin`` × its height and width added on every side.

    Example:
        >>> class Echo:
        ...     def predict(self, rgb): return rgb[..., 0] / 255.0
        >>> photo = np.zeros((10, 20, 3), np.uint8); photo[:, :5] = 255
        >>> out = Padded(Echo(), 0.2, "replicate").predict(photo)
        >>> out.shape, float(out[:, :5].min()), float(out[:, 5:].max())
        ((10, 20), 1.0, 0.0)
    """

    def __init__(self, segmenter, margin: float, mode: str):
        self.segmenter, self.margin, self.border = segmenter, margin, BORDERS[mode]

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        dy, dx = round(self.margin * rgb.shape[0]), round(self.margin * rgb.shape[1])
        padded = cv2.copyMakeBorder(rgb, dy, dy, dx, dx, self.border)
        return self.segmenter.predict(padded)[dy : dy + rgb.shape[0], dx : dx + rgb.shape[1]]


def main() -> None:
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.models import load_model
    from bgremover.train.validate import score_rows, table, validation_samples

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="fast")
    parser.add_argument("--config", default=DEFAULT_RECIPE)
    parser.add_argument("--margins", nargs="+", type=float, default=[0.03, 0.06])
    parser.add_argument("--mode", choices=tuple(BORDERS), default="replicate")
    args = parser.parse_args()
    samples, labels = validation_samples(args.config, real_closeups=True)
    model = load_model(args.model)
    models = [("plain", model)] + [(f"margin {m} ({args.mode})", Padded(model, m, args.mode)) for m in args.margins]
    print("\n".join(table(score_rows(models, samples), labels, digits=4, paired=True)))


if __name__ == "__main__":
    main()
