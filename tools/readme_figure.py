"""The README's picture: a public-domain photo (NASA, via scikit-image), its cut-out on a checkerboard
and on a new background, made by the committed default model.

    python tools/readme_figure.py -o docs/images/astronaut.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

import bgremover


def checkerboard(height: int, width: int, cell: int = 16) -> np.ndarray:
    yy, xx = np.mgrid[:height, :width]
    return np.where(((yy // cell + xx // cell) % 2)[..., None] == 0, 204, 255).astype(np.uint8).repeat(3, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--out", type=Path, default=Path("docs/images/astronaut.png"))
    parser.add_argument("--side", type=int, default=320)
    args = parser.parse_args()
    photo = data.astronaut()
    model = bgremover.load_model()
    alpha = model.predict(photo)
    panels = [
        photo,
        np.asarray(bgremover.compose(photo, alpha, checkerboard(*photo.shape[:2]))),
        np.asarray(bgremover.compose(photo, alpha, (36, 120, 200))),
    ]
    panels = [np.asarray(Image.fromarray(p).resize((args.side, args.side), Image.LANCZOS)) for p in panels]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.hstack(panels)).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
