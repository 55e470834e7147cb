"""A contact sheet of training composites, as the training pipeline draws them, beside real photos.

    python tools/composite_grid.py --data ../shared/data -o runs/composites.jpg

The top rows are composites (CCP people on the training backgrounds, every realism step of the
shipped recipe), the bottom row real photos of similar framings from the benchmark-only
``web_people`` set, so a reader can judge whether the composites look like photographs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from bgremover.composite_config import CompositeConfig
from bgremover.data import find_pairs
from bgremover.io import read_image
from bgremover.train.builders import build_datasets
from bgremover.train.config import TrainConfig


def tile(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` fitted into a side×side grey square."""
    scale = side / max(image.shape[:2])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = np.full((side, side, 3), 128, np.uint8)
    top, left = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--side", type=int, default=192)
    parser.add_argument("--real", nargs="*", default=[], help="stems of web_people photos for the last row")
    parser.add_argument(
        "--negatives", help="a folder of object cut-outs (tools/object_cutouts.py) to paste in every composite"
    )
    args = parser.parse_args()
    config = TrainConfig(
        data=str(args.data / "ccp_person"),
        backgrounds=(str(args.data / "backgrounds"), str(args.data / "backgrounds_indoor")),
        negatives=(args.negatives,) if args.negatives else (),
        composite=CompositeConfig(p=1.0, negative_p=1.0 if args.negatives else 0.0),
    )
    train, _ = build_datasets(config)
    tiles = []
    for k in range(args.columns * args.rows):
        image, _ = train.transform(*train.load(k * 7 % len(train)), size=320, seed=k)
        tiles.append(tile(image, args.side))
    if args.real:
        pairs = dict((p[0].stem, p[0]) for p in find_pairs(args.data / "web_people"))
        tiles += [tile(read_image(pairs[stem]), args.side) for stem in args.real[: args.columns]]
    rows = [np.hstack(tiles[i : i + args.columns]) for i in range(0, len(tiles), args.columns)]
    pad = args.side * args.columns - rows[-1].shape[1]
    rows[-1] = np.hstack([rows[-1], np.full((args.side, pad, 3), 255, np.uint8)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
