"""Copy-paste compositing: people cut out with their masks and pasted onto background photos.

The main defence against overfitting one photographic domain: it varies framing (full body,
head-and-torso crops as in portraits, head-and-shoulders close-ups as in webcam and video-call
frames), scale (a tenth of the frame height up to the whole frame), position (people cut by the
frame's edge), count (groups) and canvas aspect, and blends with feathered edges so that no hard
paste seam gives the answer away. Person and background share one camera: the canvas is sized so
that the person is never enlarged (both are sharp at the same resolution, and the training
pipeline's resampling, noise and JPEG then hit both alike), the background may be defocused as a
webcam or portrait lens shows a room, and the person's colours may be moved towards the room's
light (:mod:`bgremover.data.realism`). Optionally an occluder (a polygon of another background
photo: a table, a laptop, a railing) is laid over the people and labelled background, so that
"large and in front" does not mean "person".

Background folders are split by file name: a fixed fifth of every folder
(:func:`background_files` with ``split="heldout"``) is never used for training, so benchmarks
can composite onto rooms no model has seen; another fifth (``split="val"``) can be kept from
training for validation alone (``TrainConfig.val_rooms``), so that model selection sees rooms the
model has not seen either.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from bgremover.composite_config import CompositeConfig
from bgremover.data.dataset import IMAGE_SUFFIXES, PairDataset
from bgremover.data.realism import disk_blur, harmonize
from bgremover.errors import UsageError
from bgremover.io import read_image

HELDOUT_EVERY = 5  # one background in five (by a hash of its file name) is kept out of training
# background splits (:func:`background_files`): the residues of a file name's CRC-32 modulo HELDOUT_EVERY
BACKGROUND_SPLITS = {"train": {1, 2, 3, 4}, "heldout": {0}, "val": {1}, "fit": {2, 3, 4}, "all": {0, 1, 2, 3, 4}}
# draws an (image, mask) pair: a person to paste, or an object to paste as background (``negatives``)
PersonSource = Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]


# Webcam, video-call and portrait framings only: the framings of the ``indoor_closeup`` benchmark and of
# the close-up validation composites (``TrainConfig.val_closeups``).
CLOSEUP_FRAMINGS = CompositeConfig(
    p=1.0,
    empty_p=0.0,
    closeup_p=0.6,
    portrait_p=0.4,
    group_p=0.0,
    canvas_aspects=(0.75, 4 / 3, 16 / 9),
    defocus_p=0.3,
    harmonize_p=0.5,
)

# The same framings through a portrait lens: the room always strongly defocused (disk radius 2-5 % of the
# long side), as portrait photos and video calls with a blurred background show it — the validation part
# ``TrainConfig.val_bokeh``.
PORTRAIT_LENS_FRAMINGS = dataclasses.replace(CLOSEUP_FRAMINGS, defocus_p=1.0, defocus_radius=(0.02, 0.05))


def person_crop(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop image and mask to the mask's bounding box (the whole image if the mask is empty)."""
    ys, xs = np.nonzero(mask > 0.5)
    if len(ys) == 0:
        return image, mask
    return image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], mask[
        ys.min() : ys.max() + 1, xs.min() : xs.max() + 1
    ]


def closeup_crop(
    image: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    keep: tuple[float, float] = CompositeConfig.closeup_keep,
    aspects: tuple[float, ...] = CompositeConfig.canvas_aspects,
    headroom: tuple[float, float] = (0.05, 0.3),
    min_height: int = 96,
) -> tuple[np.ndarray, np.ndarray]:
    """A photo cropped, not resampled, to a head-and-shoulders close-up of its people: the top
    ``keep`` share of their bounding box, cut by the frame's bottom edge, with ``headroom`` (a share
    of the kept height) above, at a width/height ratio from ``aspects`` around the kept part's centre
    (narrower where the photo is). A crop lower than ``min_height`` px would be mostly enlargement;
    the photo is then returned as it is, as it is when the mask is empty.

    Example:
        >>> image = np.zeros((600, 400, 3), np.uint8); mask = np.zeros((600, 400), np.float32)
        >>> mask[100:580, 150:250] = 1  # a standing person, 480 px tall
        >>> crop, crop_mask = closeup_crop(image, mask, np.random.default_rng(0))
        >>> bool(crop_mask[-1].any()), 96 <= crop.shape[0] <= 0.4 * 480 * 1.3 + 1, crop.shape[:2] == crop_mask.shape
        (True, True, True)
    """
    ys, _ = np.nonzero(mask > 0.5)
    if len(ys) == 0:
        return image, mask
    top = int(ys.min())
    kept = max(2, int((ys.max() + 1 - top) * rng.uniform(*keep)))
    bottom, y0 = top + kept, max(0, top - int(kept * rng.uniform(*headroom)))
    if bottom - y0 < min_height:
        return image, mask
    cols = np.nonzero((mask[top:bottom] > 0.5).any(axis=0))[0]
    center = (cols.min() + cols.max() + 1) / 2 + rng.uniform(-0.2, 0.2) * (cols.max() + 1 - cols.min())
    width = int(min(image.shape[1], max(2, round((bottom - y0) * float(rng.choice(aspects))))))
    x0 = int(np.clip(round(center - width / 2), 0, image.shape[1] - width))
    return image[y0:bottom, x0 : x0 + width], mask[y0:bottom, x0 : x0 + width]


def paste(
    canvas: np.ndarray,
    target: np.ndarray,
    person: np.ndarray,
    alpha: np.ndarray,
    top: int,
    left: int,
    feather_sigma: float = 0.0,
) -> None:
    """Blend ``person`` (h×w×3) with ``alpha`` (h×w in [0,1]) onto ``canvas`` at (top, left), in place.

    Parts outside the canvas are clipped. ``target`` (the canvas mask) takes the union with the
    pasted mask. ``feather_sigma`` > 0 softens the blend edge (the target stays the sharp mask).
    """
    if feather_sigma > 0:  # room for the blur to spread outwards
        margin = int(np.ceil(3 * feather_sigma))
        person = np.pad(person, ((margin, margin), (margin, margin), (0, 0)), mode="edge")
        alpha = np.pad(alpha, margin)
        top, left = top - margin, left - margin
    height, width = canvas.shape[:2]
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + person.shape[0], height), min(left + person.shape[1], width)
    if y0 >= y1 or x0 >= x1:
        return
    crop = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    blend = cv2.GaussianBlur(alpha, (0, 0), feather_sigma) if feather_sigma > 0 else alpha
    b = blend[crop][..., None]
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = (b * person[crop].astype(np.float32) + (1 - b) * region + 0.5).astype(np.uint8)
    target[y0:y1, x0:x1] = np.maximum(target[y0:y1, x0:x1], alpha[crop])


def background_files(folder: str | os.PathLike, split: str = "train") -> list[Path]:
    """The image files of a background folder (or its ``images/`` subfolder) in one split.

    Fixed by a CRC-32 of each file name, so a split never changes when files are added:
    ``"heldout"`` is a fifth kept for benchmarks, ``"train"`` the other four fifths; within those,
    ``"val"`` is a fifth of the folder kept for validation and ``"fit"`` the remaining three fifths,
    trained on when validation uses ``"val"``. ``"all"``: every file.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for i in range(100):
        ...     (folder / f"room{i}.jpg").touch()
        >>> sizes = {split: len(background_files(folder, split)) for split in BACKGROUND_SPLITS}
        >>> sizes["fit"] + sizes["val"] == sizes["train"] and sizes["train"] + sizes["heldout"] == sizes["all"]
        True
    """
    if split not in BACKGROUND_SPLITS:
        raise UsageError(f"split must be one of {', '.join(map(repr, BACKGROUND_SPLITS))}, got {split!r}")
    folder = Path(folder)
    folder = folder / "images" if (folder / "images").is_dir() else folder
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [p for p in files if zlib.crc32(p.name.encode()) % HELDOUT_EVERY in BACKGROUND_SPLITS[split]]


class CopyPaste:
    """With probability ``config.p`` replace (image, mask) by a composite on a random background.

    ``people`` draws further (image, mask) pairs for group scenes; ``negatives`` draws objects that are
    not people (:meth:`_touch`, with ``config.negative_p``). ``weights`` (one per background,
    optional) sets how often each is drawn. Call as ``composite(image, mask) ->
    (image, mask)``; the output mask is binary (0/1 float32).

    Example:
        >>> import numpy as np
        >>> bg = np.full((60, 80, 3), 200, np.uint8)
        >>> cfg = CompositeConfig(p=1.0, canvas_long_side=80, feather_sigma=(0.0, 0.0))
        >>> cp = CopyPaste([bg], config=cfg, seed=0)
        >>> image = np.zeros((40, 20, 3), np.uint8); mask = np.ones((40, 20), np.float32)
        >>> out, out_mask = cp(image, mask)
        >>> bool((out[out_mask > 0.5] < 100).all()) and bool((out[out_mask < 0.5] > 100).all())
        True
    """

    def __init__(
        self,
        backgrounds: Sequence[str | os.PathLike | np.ndarray],
        people: PersonSource | None = None,
        config: CompositeConfig | None = None,
        seed: int | None = None,
        weights: Sequence[float] | None = None,
        negatives: PersonSource | None = None,
    ):
        if not len(backgrounds):
            raise UsageError("copy-paste compositing needs at least one background")
        if weights is not None and len(weights) != len(backgrounds):
            raise UsageError(f"{len(weights)} weights for {len(backgrounds)} backgrounds")
        self.backgrounds = list(backgrounds)
        self.weights = None if weights is None else np.asarray(weights, np.float64) / np.sum(weights)
        self.people = people
        self.negatives = negatives
        self.config = config or CompositeConfig()
        self.seed = seed
        self._rng: np.random.Generator | None = None
        self._process_seed: int | None = None

    @property
    def rng(self) -> np.random.Generator:
        """A generator re-seeded per process from torch's seed, so DataLoader workers differ."""
        process_seed = torch.initial_seed()
        if self._rng is None or process_seed != self._process_seed:
            self._rng = np.random.default_rng([self.seed or 0, process_seed % 2**63])
            self._process_seed = process_seed
        return self._rng

    @classmethod
    def from_folder(cls, *folders: str | os.PathLike, split: str = "train", **kwargs) -> CopyPaste:
        """Backgrounds from the ``split`` files of one or more folders (:func:`background_files`).

        Each folder is drawn equally often whatever its size (e.g. outdoor and indoor photos half
        and half).
        """
        groups = [background_files(folder, split) for folder in folders]
        empty = [str(f) for f, g in zip(folders, groups, strict=True) if not g]
        if empty:
            raise UsageError(f"no background images in {', '.join(empty)}")
        files = [path for group in groups for path in group]
        weights = [1.0 / len(group) for group in groups for _ in group]
        return cls(files, weights=weights if len(groups) > 1 else None, **kwargs)

    def _background(self, person_height: int | None = None, height_frac: float = 1.0) -> np.ndarray:
        """A random crop of a random background at a random canvas aspect, resized so that a person
        ``person_height`` pixels tall fills ``height_frac`` of its height without being enlarged
        (long side within [``min_canvas_side``, ``canvas_long_side``]); else at the largest canvas."""
        cfg, rng = self.config, self.rng
        item = self.backgrounds[rng.choice(len(self.backgrounds), p=self.weights)]
        bg = item if isinstance(item, np.ndarray) else read_image(item)
        aspect = float(rng.choice(cfg.canvas_aspects))  # width / height
        height, width = bg.shape[:2]
        crop_w = min(width, int(height * aspect))
        crop_h = min(height, int(crop_w / aspect))
        y = rng.integers(0, height - crop_h + 1)
        x = rng.integers(0, width - crop_w + 1)
        bg = bg[y : y + crop_h, x : x + crop_w]
        long_side = cfg.canvas_long_side
        if cfg.match_resolution and person_height:
            fitting = person_height / height_frac * max(bg.shape[:2]) / bg.shape[0]
            long_side = int(np.clip(fitting, min(cfg.min_canvas_side, long_side), long_side))
        scale = long_side / max(bg.shape[:2])
        if rng.random() < 0.5:
            bg = bg[:, ::-1]
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        return cv2.resize(np.ascontiguousarray(bg), None, fx=scale, fy=scale, interpolation=interpolation)

    def _place(self, canvas, target, person, alpha, height_frac, bottom_cut, x_center=None, bottom=None, tint=0.0):
        """Paste the cropped ``person`` at ``height_frac`` of the canvas height; ``bottom_cut``: its
        lower edge on the frame's (portraits, close-ups)."""
        cfg, rng = self.config, self.rng
        h_canvas, w_canvas = canvas.shape[:2]
        scale = max(height_frac * h_canvas / person.shape[0], 2.0 / min(person.shape[:2]))
        size = (max(1, round(person.shape[1] * scale)), max(1, round(person.shape[0] * scale)))
        person = cv2.resize(person, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
        alpha = (alpha >= 0.5).astype(np.float32)
        person = harmonize(person, alpha, canvas, tint)
        h, w = alpha.shape
        cx = x_center if x_center is not None else rng.uniform(-0.3 * w, w_canvas + 0.3 * w)  # a fifth stays in
        left = int(cx - w / 2)
        top = h_canvas - h if bottom_cut else int(rng.uniform(min(0, h_canvas - h), max(0, h_canvas - h) + 1))
        if bottom is not None:
            top = int(bottom - h)
        elif not bottom_cut and rng.random() < 0.2:  # cut by the bottom edge, as in half-body shots
            top = h_canvas - int(h * rng.uniform(0.5, 1.0))
        paste(canvas, target, person, alpha, top, left, rng.uniform(*cfg.feather_sigma))

    def __call__(self, image: np.ndarray, mask: np.ndarray, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Composite (or pass through); ``seed`` makes this item's draw reproducible."""
        if seed is not None:
            self._rng, self._process_seed = np.random.default_rng([self.seed or 0, seed]), torch.initial_seed()
        cfg, rng = self.config, self.rng
        if np.isnan(mask).any():  # a pseudo-labelled real frame: kept as the framing it is, never composited
            return image, mask
        if rng.random() >= cfg.p:
            if cfg.real_closeup_p > 0 and rng.random() < cfg.real_closeup_p:
                return closeup_crop(image, mask, rng, cfg.closeup_keep, cfg.canvas_aspects)
            return image, mask
        if rng.random() < cfg.empty_p:
            canvas = self._background()
            return self._defocus(canvas, cfg.defocus_p), np.zeros(canvas.shape[:2], np.float32)
        person, alpha = person_crop(image, mask)
        mode = rng.random()
        closeup = mode < cfg.closeup_p
        portrait = not closeup and mode < cfg.closeup_p + cfg.portrait_p
        group = not closeup and not portrait and mode < cfg.closeup_p + cfg.portrait_p + cfg.group_p
        group = group and self.people is not None
        if closeup or portrait:
            keep = rng.uniform(*(cfg.closeup_keep if closeup else cfg.portrait_keep))
            keep_rows = max(2, int(person.shape[0] * keep))
            person, alpha = person[:keep_rows], alpha[:keep_rows]
            height_frac = rng.uniform(*(cfg.closeup_height if closeup else cfg.portrait_height))
        else:
            height_frac = rng.uniform(0.2, 0.8) if group else rng.uniform(*cfg.full_height)
        tint = rng.uniform(*cfg.harmonize_strength) if rng.random() < cfg.harmonize_p else 0.0
        canvas = self._background(person.shape[0], min(height_frac, 1.0)).copy()
        canvas = self._defocus(canvas, cfg.defocus_p * (2 if closeup else 1))
        target = np.zeros(canvas.shape[:2], np.float32)
        h_canvas, w_canvas = canvas.shape[:2]
        if closeup:
            center = rng.uniform(*cfg.closeup_center) * w_canvas
            self._place(canvas, target, person, alpha, height_frac, True, x_center=center, tint=tint)
        elif group:
            count = int(rng.integers(cfg.group_size[0], cfg.group_size[1] + 1))
            people = [(image, mask)] + [self.people(rng) for _ in range(count - 1)]
            if rng.random() < cfg.group_row_p:  # shoulder to shoulder, feet on one line (or cut by the frame)
                spacing = height_frac * h_canvas * rng.uniform(0.18, 0.3)  # about a body's width
                centers = rng.uniform(0.2, 0.8) * w_canvas + (np.arange(count) - (count - 1) / 2) * spacing
                feet = h_canvas * (rng.uniform(min(1.0, height_frac + 0.05), 1.0) + height_frac * rng.uniform(0.0, 0.4))
                bottoms = feet + rng.uniform(-0.03, 0.03, count) * h_canvas
            else:
                centers = np.sort(rng.uniform(0.1, 0.9, count)) * w_canvas
                bottoms = [None] * count
            for (img, msk), cx, bottom in zip(people, centers, bottoms, strict=True):
                crop = person_crop(img, msk)
                self._place(canvas, target, *crop, height_frac * rng.uniform(0.85, 1.15), False, cx, bottom, tint)
        else:
            self._place(canvas, target, person, alpha, height_frac, portrait, tint=tint)
        if self.negatives is not None and cfg.negative_p > 0 and rng.random() < cfg.negative_p:
            self._touch(canvas, target, *self.negatives(rng))
        if rng.random() < cfg.occluder_p:
            self._occlude(canvas, target)
        return canvas, target

    def _touch(self, canvas: np.ndarray, target: np.ndarray, image: np.ndarray, mask: np.ndarray) -> None:
        """Paste an object that is not a person (``image``, ``mask``) so that it touches the people of
        ``target``, in place: its centre beside a random pixel of their upper part, behind them (seen
        only where they are not) or, with ``negative_front_p``, in front of them (taken from
        ``target``); it is background either way."""
        cfg, rng = self.config, self.rng
        ys, xs = np.nonzero(target > 0.5)
        thing, alpha = person_crop(image, mask)
        if len(ys) == 0 or not (alpha > 0.5).any():
            return
        front = rng.random() < cfg.negative_front_p
        people_height = ys.max() + 1 - ys.min()
        height = people_height * rng.uniform(*cfg.negative_height) * (0.5 if front else 1.0)
        scale = max(height / thing.shape[0], 2.0 / min(thing.shape[:2]))
        size = (max(1, round(thing.shape[1] * scale)), max(1, round(thing.shape[0] * scale)))
        thing = cv2.resize(thing, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
        upper = np.flatnonzero(ys < ys.min() + 0.6 * people_height)
        anchor = int(rng.choice(upper))
        side = rng.choice([-1.0, 1.0])
        cx = xs[anchor] + side * rng.uniform(0.2, 0.6) * size[0]
        cy = ys[anchor] + rng.uniform(-0.3, 0.3) * size[1]
        over, cover = canvas.copy(), np.zeros(target.shape, np.float32)
        paste(over, cover, thing, alpha, int(cy - size[1] / 2), int(cx - size[0] / 2))
        if front:
            canvas[:] = over
            target *= cover < 0.5
        else:  # the people (a binary target) stay in front of it
            canvas[:] = np.where(target[..., None] > 0.5, canvas, over)

    def _defocus(self, canvas: np.ndarray, p: float) -> np.ndarray:
        """With probability ``p``, the canvas through a lens disk of a random radius (both drawn
        whatever ``p``, so the rest of the composite's draw does not depend on it)."""
        applied, radius = self.rng.random() < p, self.rng.uniform(*self.config.defocus_radius)
        return disk_blur(canvas, radius * max(canvas.shape[:2])) if applied else canvas

    def _occlude(self, canvas: np.ndarray, target: np.ndarray) -> None:
        """Lay a random polygon of another background photo over the scene, in place; it is background."""
        cfg, rng = self.config, self.rng
        height, width = target.shape
        texture = cv2.resize(self._background(), (width, height), interpolation=cv2.INTER_AREA)
        radius = rng.uniform(*cfg.occluder_size, size=2) * (width, height) / 2
        center = (rng.uniform(0, width), rng.uniform(0.3, 1.0) * height)  # mostly in the lower part, in front
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(*cfg.occluder_vertices))))
        reach = rng.uniform(0.6, 1.0, len(angles))[:, None] * radius
        points = np.stack([np.cos(angles), np.sin(angles)], 1) * reach + center
        shape = np.zeros((height, width), np.float32)
        cv2.fillPoly(shape, [np.round(points).astype(np.int32)], 1.0)
        sigma = rng.uniform(*cfg.feather_sigma)
        blend = (cv2.GaussianBlur(shape, (0, 0), sigma) if sigma > 0 else shape)[..., None]
        canvas[:] = (blend * texture + (1 - blend) * canvas.astype(np.float32) + 0.5).astype(np.uint8)
        target *= 1 - shape


class CloseupCrops:
    """:func:`closeup_crop` as a fixed compositor for :class:`CompositeSet`: the crop of an item
    depends only on ``seed`` and the item's ``seed``, so a validation part of real close-ups (person
    and room from one camera) is the same on every call and machine.

    Example:
        >>> image = np.zeros((600, 400, 3), np.uint8); mask = np.zeros((600, 400), np.float32)
        >>> mask[100:580, 150:250] = 1
        >>> crops = CloseupCrops(seed=0)
        >>> a, b = crops(image, mask, seed=3), crops(image, mask, seed=3)
        >>> a[0].shape == b[0].shape, a[0].shape[0] < 600, bool(a[1][-1].any())
        (True, True, True)
    """

    def __init__(self, seed: int = 0):
        self.seed = seed

    def __call__(self, image: np.ndarray, mask: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return closeup_crop(image, mask, np.random.default_rng([self.seed, seed]))


class CompositeSet(PairDataset):
    """One fixed composite per person of ``people``: item ``i`` is ``compositor(*people.load(i), seed=i)``,
    the same on every call and machine (a benchmark or validation set built from held-out people).

    Example:
        >>> import numpy as np
        >>> class People(PairDataset):
        ...     stems = ["a", "b"]
        ...     def __len__(self): return 2
        ...     def load(self, i): return np.zeros((40, 20, 3), np.uint8), np.ones((40, 20), np.float32)
        >>> rooms = CopyPaste([np.full((60, 80, 3), 200, np.uint8)], config=CompositeConfig(p=1.0), seed=0)
        >>> found = CompositeSet(People(), rooms, prefix="room-")
        >>> found.stems, bool((found.load(1)[0] == found.load(1)[0]).all())
        (['room-a', 'room-b'], True)
    """

    def __init__(
        self,
        people: PairDataset,
        compositor: CopyPaste | CloseupCrops,
        prefix: str = "",
        transform=None,
    ):
        self.people, self.compositor, self.transform, self.prefix = people, compositor, transform, prefix
        self.stems = [f"{prefix}{stem}" for stem in people.stems]

    def __len__(self) -> int:
        return len(self.people)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.compositor(*self.people.load(index), seed=index)
