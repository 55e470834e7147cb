"""Pack a small copy of the training data and weights for a remote GPU box with a tight upload limit.

Training only ever sees images after ``SmallestMaxSize(<= max(scales))``, so photos are stored with
their short side at ``--short-side`` (default 384, the largest training scale), JPEG ``--quality``;
masks are resized the same way and re-binarised. Weights are stored as fp16 (the loaders cast back to
fp32) and encoders lose their ImageNet classifier (``features_only`` never uses it).

    python tools/gpu/pack.py --data ../shared/data --weights ../shared/weights -o .gpu
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2
import numpy as np
from safetensors.numpy import load_file, save_file

CLASSIFIER_PREFIXES = ("classifier.", "conv_head.", "bn2.")


def shrink(image: np.ndarray, short_side: int) -> np.ndarray:
    scale = short_side / min(image.shape[:2])
    if scale >= 1:
        return image
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def pack_images(src: Path, dst: Path, stems: list[str] | None, short_side: int, quality: int) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if stems is not None and path.stem not in stems:
            continue
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        cv2.imwrite(str(dst / f"{path.stem}.webp"), shrink(image, short_side), [cv2.IMWRITE_WEBP_QUALITY, quality])


def pack_masks(src: Path, dst: Path, stems: list[str], short_side: int) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        mask = cv2.imread(str(src / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
        small = shrink(mask, short_side)
        cv2.imwrite(str(dst / f"{stem}.png"), np.where(small >= 128, 255, 0).astype(np.uint8))


def pack_weights(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    state = load_file(str(src))
    state = {
        k: v.astype(np.float16) if v.dtype == np.float32 else v
        for k, v in state.items()
        if not k.startswith(CLASSIFIER_PREFIXES)
    }
    save_file(state, str(dst))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--short-side", type=int, default=384)
    parser.add_argument("--quality", type=int, default=82)
    parser.add_argument("--encoders", nargs="+", default=["tf_efficientnet_lite2"])
    args = parser.parse_args()

    ccp, out_ccp = args.data / "ccp_person", args.out / "data" / "ccp_person"
    stems = (ccp / "splits" / "trainval.txt").read_text().split()
    shutil.copytree(ccp / "splits", out_ccp / "splits", dirs_exist_ok=True)
    shutil.copy(ccp / "SOURCE.txt", out_ccp)
    pack_images(ccp / "images", out_ccp / "images", set(stems), args.short_side, args.quality)
    pack_masks(ccp / "masks", out_ccp / "masks", stems, args.short_side)
    pack_images(
        args.data / "backgrounds" / "images", args.out / "data" / "backgrounds", None, args.short_side, args.quality
    )
    for name in args.encoders:
        pack_weights(
            args.weights / "encoders" / f"{name}.in1k.safetensors",
            args.out / "weights" / "encoders" / f"{name}.in1k.safetensors",
        )
    vgg = "vgg16_features_relu4_3.in1k.safetensors"
    pack_weights(args.weights / "perceptual" / vgg, args.out / "weights" / "perceptual" / vgg)


if __name__ == "__main__":
    main()
