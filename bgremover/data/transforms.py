"""albumentations 2.x pipelines applied jointly to image and mask."""

from __future__ import annotations

from functools import lru_cache

import albumentations as A
import cv2
import numpy as np
import torch

# Masks are resampled as their image is (area when shrinking, bilinear when enlarging), so that they
# stay on it: albumentations' default nearest-neighbour mask resampling puts each mask about half an
# output pixel right of and below its image, and a network trained on such pairs learns that offset.
SAME_RESAMPLING = dict(
    interpolation=cv2.INTER_LINEAR, mask_interpolation=cv2.INTER_LINEAR, area_for_downscale="image_mask"
)


@lru_cache(maxsize=16)
def train_pipeline(size: int, rotate90_p: float = 0.05, squash_p: float = 0.0, camera_p: float = 0.0) -> A.Compose:
    """Train augmentation: flip, affine, rare 90° turns, colour, blur; then size×size; then a camera.

    The final step either fits the whole image (long side to ``size``, replicate-padded) or
    fills the square and crops at random (people cut by the frame), with equal probability; or,
    with probability ``squash_p``, resizes the whole image to the square whatever its aspect, as a
    model run with ``Segmenter(square=True)`` sees its input. Last, each of three camera
    degradations is applied with probability ``camera_p / 2`` to the whole frame (a composite's
    person and background alike): resampling through a lower resolution, sensor noise, JPEG.

    Example:
        >>> import numpy as np
        >>> out = train_pipeline(64)(image=np.zeros((50, 80, 3), np.uint8), mask=np.zeros((50, 80), np.float32))
        >>> out["image"].shape, out["mask"].shape
        ((64, 64, 3), (64, 64))
    """
    return A.Compose(
        [
            A.HorizontalFlip(p=0.5),
            A.Affine(
                scale=(0.75, 1.25),
                translate_percent=(-0.1, 0.1),
                rotate=(-15, 15),
                border_mode=cv2.BORDER_REPLICATE,
                p=0.7,
            ),
            A.RandomRotate90(p=rotate90_p),
            A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.6),
            A.HueSaturationValue(hue_shift_limit=10, sat_shift_limit=25, val_shift_limit=15, p=0.5),
            A.GaussianBlur(blur_limit=(3, 7), sigma_limit=(0.3, 2.0), p=0.2),
            A.OneOf(
                [
                    A.Sequential(
                        [
                            A.LongestMaxSize(max_size=size, **SAME_RESAMPLING),
                            A.PadIfNeeded(size, size, position="random", border_mode=cv2.BORDER_REPLICATE),
                        ],
                        p=(1 - squash_p) / 2,
                    ),
                    A.Sequential(
                        [
                            A.SmallestMaxSize(max_size=size, **SAME_RESAMPLING),
                            A.RandomCrop(size, size),
                        ],
                        p=(1 - squash_p) / 2,
                    ),
                    A.Resize(size, size, interpolation=cv2.INTER_AREA, mask_interpolation=cv2.INTER_AREA, p=squash_p),
                ],
                p=1.0,
            ),
            A.Downscale(
                scale_range=(0.5, 0.9),
                interpolation_pair={"downscale": cv2.INTER_AREA, "upscale": cv2.INTER_LINEAR},
                p=camera_p / 2,
            ),
            A.GaussNoise(std_range=(0.01, 0.04), p=camera_p / 2),
            A.ImageCompression(quality_range=(45, 95), p=camera_p / 2),
        ],
        seed=(torch.initial_seed() + size) % 2**32,
    )


@lru_cache(maxsize=16)
def eval_pipeline(size: int) -> A.Compose:
    """Deterministic: long side to ``size``, replicate-pad to size×size (centred)."""
    return A.Compose(
        [
            A.LongestMaxSize(max_size=size, **SAME_RESAMPLING),
            A.PadIfNeeded(size, size, position="center", border_mode=cv2.BORDER_REPLICATE),
        ]
    )


def reset_pipelines(worker_id: int | None = None) -> None:
    """Forget cached pipelines so each DataLoader worker builds its own, seeded from torch's seed."""
    train_pipeline.cache_clear()


class PairTransform:
    """Callable ``(image, mask, size) -> (image, mask)`` for :class:`SegmentationFolder`.

    ``train=True`` applies :func:`train_pipeline` (after ``pre``, e.g. copy-paste compositing),
    else :func:`eval_pipeline`. ``size=None`` uses ``default_size``; a ``seed`` makes the
    item's augmentation reproducible (else the pipeline's own random stream is used).
    """

    def __init__(
        self,
        default_size: int,
        train: bool,
        rotate90_p: float = 0.05,
        pre=None,
        squash_p: float = 0.0,
        camera_p: float = 0.0,
    ):
        self.default_size = default_size
        self.train = train
        self.rotate90_p = rotate90_p
        self.squash_p = squash_p
        self.camera_p = camera_p
        self.pre = pre

    def __call__(self, image: np.ndarray, mask: np.ndarray, size: int | None = None, seed: int | None = None):
        size = size or self.default_size
        if self.pre is not None:
            image, mask = self.pre(image, mask, seed)
        if self.train:
            pipeline = train_pipeline(size, self.rotate90_p, self.squash_p, self.camera_p)
        else:
            pipeline = eval_pipeline(size)
        if seed is not None:
            pipeline.set_random_seed(seed)
        out = pipeline(image=image, mask=mask)
        return out["image"], out["mask"]
