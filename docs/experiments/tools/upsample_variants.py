"""How should the network's low-resolution map reach the photo's size? Models scored on a training run's
validation set as they run, with the map resized bilinearly (the plain row), refined after that by the
full-resolution guided filter (``predict(refine=True)``), and brought up by guided upsampling
(:func:`bgremover.refine.guided_upsample`'s method) with the coefficients fitted on a grid of the map's
size divided by each ``--grids`` factor and a window radius of each ``--radii`` share of that grid's long
side.

    python docs/experiments/tools/upsample_variants.py --model fast [--config RECIPE] [--grids 1 2]
        [--radii 0.005 0.01 0.02]

Prints the validation table (``bgremover.train.validate.table``) with each variant as a row, paired
against the plain one.
"""

from __future__ import annotations

import argparse

import numpy as np


class Upsampled:
    """``segmenter``'s main-subject map at its network's resolution, brought to the photo's size by
    guided upsampling on a grid ``grid`` times smaller than the map, window radius ``radius`` × the
    grid's long side (at least 1 px).

    Example:
        >>> class Flat:  # a "network" that marks the left half at a quarter of the photo's size
        ...     def _network_maps(self, rgbs, tta, scales):
        ...         prob = np.zeros((8, 8), np.float32); prob[:, :4] = 1
        ...         return [(prob, None) for _ in rgbs]
        >>> photo = np.zeros((32, 32, 3), np.uint8); photo[:, :15] = 255  # the person ends at x = 15
        >>> int((Upsampled(Flat(), 1, 0.2).predict(photo)[16] < 0.5).argmax())
        15
    """

    def __init__(self, segmenter, grid: int, radius: float):
        self.segmenter, self.grid, self.radius = segmenter, grid, radius

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        from bgremover.refine import guided_upsample
        from bgremover.subjects import select_subjects

        prob, seen = self.segmenter._network_maps([rgb], False, None)[0]
        return guided_upsample(
            rgb, select_subjects(prob, "main"), small=seen, grid_divisor=self.grid, radius_share=self.radius
        )


class Refined:
    """``segmenter``'s bilinear answer refined by the full-resolution guided filter (``refine=True``)."""

    def __init__(self, segmenter):
        self.segmenter = segmenter

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        return self.segmenter.predict(rgb, refine=True, upsample="bilinear")


class Bilinear:
    """``segmenter`` with its map resized bilinearly, whatever its own upsampling."""

    def __init__(self, segmenter):
        self.segmenter = segmenter

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        return self.segmenter.predict(rgb, upsample="bilinear")


def main() -> None:
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.models import load_model
    from bgremover.train.validate import score_rows, table, validation_samples

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="fast")
    parser.add_argument("--config", default=DEFAULT_RECIPE)
    parser.add_argument("--grids", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--radii", nargs="+", type=float, default=[0.005, 0.01, 0.02])
    args = parser.parse_args()
    samples, labels = validation_samples(args.config, real_closeups=True)
    model = load_model(args.model)
    models = [("bilinear", Bilinear(model)), ("bilinear, then refine", Refined(model))]
    models += [
        (f"guided, grid 1/{grid}, radius {radius}", Upsampled(model, grid, radius))
        for grid in args.grids
        for radius in args.radii
    ]
    print("\n".join(table(score_rows(models, samples), labels, digits=4, paired=True)))


if __name__ == "__main__":
    main()
