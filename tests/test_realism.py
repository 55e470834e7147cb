"""Composites that share one camera, real photos in training, held-out rooms, framings, main subject."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from bgremover.composite_config import CompositeConfig
from bgremover.data import (
    CLOSEUP_FRAMINGS,
    PORTRAIT_LENS_FRAMINGS,
    CopyPaste,
    PairTransform,
    SegmentationFolder,
    background_files,
)
from bgremover.data.realism import disk_blur, harmonize
from bgremover.train.builders import build_datasets, split_stems
from bgremover.train.config import TrainConfig
from bgremover_leaderboard import synthetic
from bgremover_leaderboard.framing import framing
from tests.conftest import BACKGROUNDS, CCP, DATA, scene_config

INDOOR = DATA / "backgrounds_indoor"
EXTRA = DATA / "people_extra"


def checkered_person(height: int = 120, width: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """A person-shaped block of 2-px black-and-white checks: sharp detail that enlarging would blur."""
    yy, xx = np.mgrid[:height, :width]
    image = np.repeat((((yy // 2 + xx // 2) % 2) * 255).astype(np.uint8)[..., None], 3, axis=2)
    return image, np.ones((height, width), np.float32)


def sharpness(image: np.ndarray, mask: np.ndarray) -> float:
    """Variance of the Laplacian inside the (eroded) mask."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    inside = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return float(cv2.Laplacian(grey, cv2.CV_32F)[inside].var())


def test_close_ups_are_not_enlarged_so_person_and_background_stay_equally_sharp():
    """A 120-px person as a close-up: with the canvas sized to the person, its 2-px checks survive;
    on a fixed 640-px canvas the crop is enlarged ~10× and its detail is smoothed away."""
    background = np.full((480, 640, 3), 128, np.uint8)
    person = checkered_person()
    scores = {}
    for match in (True, False):
        config = scene_config(p=1.0, closeup_p=1.0, feather_sigma=(0.0, 0.0), match_resolution=match)
        composite = CopyPaste([background], config=config)
        scores[match] = np.median([sharpness(*composite(*person, seed=s)) for s in range(6)])
    assert scores[True] > 5 * scores[False]


def test_close_ups_fill_the_frame_from_the_bottom_edge():
    background = np.full((480, 640, 3), 128, np.uint8)
    person = checkered_person(400, 100)
    composite = CopyPaste([background], config=scene_config(p=1.0, closeup_p=1.0))
    labels = [framing(composite(*person, seed=s)[1]) for s in range(20)]
    assert labels.count("close-up") + labels.count("half-body") == 20
    assert labels.count("close-up") >= 10


def test_defocus_blurs_the_background_only():
    background = np.zeros((240, 320, 3), np.uint8)
    background[:, ::4] = 255  # sharp stripes
    person = checkered_person()
    outputs = []
    for defocus_p in (0.0, 1.0):
        config = scene_config(p=1.0, defocus_p=defocus_p, defocus_radius=(0.02, 0.02), feather_sigma=(0.0, 0.0))
        outputs.append(CopyPaste([background], config=config)(*person, seed=0))
    (sharp, mask), (defocused, same_mask) = outputs
    assert np.array_equal(mask, same_mask) and mask.any()
    assert np.array_equal(sharp[mask > 0.5], defocused[mask > 0.5])  # the person untouched
    outside = mask < 0.5
    assert defocused[outside].std() < 0.5 * sharp[outside].std()  # the stripes smeared towards grey


def test_disk_blur_and_harmonize_keep_size_and_range():
    image = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    assert disk_blur(image, 4).shape == image.shape and disk_blur(image, 0.2) is image
    room = np.full((10, 10, 3), (200, 150, 90), np.uint8)
    moved = harmonize(image, np.ones((30, 40), np.float32), room, 0.5)
    assert moved.dtype == np.uint8 and moved.shape == image.shape
    # half-way: the mean colour lands between the person's and the room's
    before, after, target = image.reshape(-1, 3).mean(0), moved.reshape(-1, 3).mean(0), room[0, 0]
    assert np.all(np.abs(after - target) < np.abs(before - target))


def test_camera_degradations_touch_the_whole_frame():
    flat = np.full((64, 64, 3), 120, np.uint8)
    mask = np.zeros((64, 64), np.float32)
    noisy = [PairTransform(64, train=True, camera_p=2.0)(flat, mask, seed=s)[0].std() for s in range(4)]
    clean = [PairTransform(64, train=True, camera_p=0.0)(flat, mask, seed=s)[0].std() for s in range(4)]
    assert min(noisy) > 0.2 and max(clean) == 0.0  # a flat frame stays flat without the camera


def test_background_folders_split_into_train_and_held_out_rooms():
    train, held, every = (background_files(INDOOR, split) for split in ("train", "heldout", "all"))
    assert not set(train) & set(held) and sorted(train + held) == every
    assert 0.15 < len(held) / len(every) < 0.25
    fit, val = background_files(INDOOR, "fit"), background_files(INDOOR, "val")
    assert not set(fit) & set(val) and sorted(fit + val) == train and 0.15 < len(val) / len(every) < 0.25
    with pytest.raises(ValueError, match="split"):
        background_files(INDOOR, "test")


def test_each_background_folder_is_drawn_equally_often():
    outdoor, indoor = background_files(BACKGROUNDS), background_files(INDOOR)
    composite = CopyPaste.from_folder(BACKGROUNDS, INDOOR)
    assert len(composite.backgrounds) == len(outdoor) + len(indoor)
    draws = np.random.default_rng(0).choice(len(composite.backgrounds), 4000, p=composite.weights)
    assert 0.45 < np.mean(draws < len(outdoor)) < 0.55  # 133 outdoor photos against ~480 rooms


def test_close_up_centre_and_height_set_where_the_frame_cuts_the_person():
    """A narrow close-up centred at 5-10 % of the width is cut by the left edge and never touches the
    right one; one taller than the frame (height 1.3-1.4) is cut by the top edge too. The training
    options reach the compositor."""
    background = np.full((300, 400, 3), 128, np.uint8)
    person = checkered_person(200, 40)

    def masks(**knobs):
        composite = CopyPaste([background], config=scene_config(p=1.0, closeup_p=1.0, canvas_aspects=(4 / 3,), **knobs))
        return [composite(*person, seed=s)[1] for s in range(8)]

    for mask in masks(closeup_center=(0.05, 0.1)):
        assert mask[:, 0].any() and not mask[:, -1].any() and mask[-1].any()
    assert not any(mask[0].any() for mask in masks(closeup_height=(0.7, 0.9)))
    assert all(mask[0].any() for mask in masks(closeup_height=(1.3, 1.4)))
    train, _ = build_datasets(
        TrainConfig.from_dict(
            dict(data=str(CCP), backgrounds=[str(INDOOR)], closeup_center=[0.05, 0.1], closeup_height=[1.3, 1.4])
        )
    )
    config = train.transform.pre.config
    assert (config.closeup_center, config.closeup_height) == ((0.05, 0.1), (1.3, 1.4))


def test_training_uses_real_extra_photos_and_never_the_held_out_rooms():
    config = TrainConfig(data=str(CCP), extra_data=(str(EXTRA),), extra_repeat=2, backgrounds=(str(INDOOR),))
    train, val = build_datasets(config)
    extra = sorted((EXTRA / "masks").glob("*.png"))
    assert len(train) == 721 + 2 * len(extra) and len(val) == 80
    assert {p.stem for p in extra} <= set(train.stems)
    used = set(train.transform.pre.backgrounds)
    assert used == set(background_files(INDOOR, "train")) and not used & set(background_files(INDOOR, "heldout"))


@pytest.mark.parametrize("val_rooms", [False, True])
def test_validation_rooms_are_kept_from_training_when_asked(val_rooms):
    """``val_rooms``: the validation composites use a fifth of each folder that training never draws
    (and training the other three of its four fifths); without it they reuse the training rooms.
    The benchmark fifth stays out of both."""
    config = TrainConfig(
        data=str(CCP), backgrounds=(str(INDOOR),), val_closeups=True, val_bokeh=True, val_rooms=val_rooms
    )
    train, val = build_datasets(config)
    trained = set(train.transform.pre.backgrounds)
    validated = [set(part.compositor.backgrounds) for part in val.parts[1:]]
    assert len(validated) == 2 and validated[0] == validated[1]
    benchmark = set(background_files(INDOOR, "heldout"))
    assert not (trained | validated[0]) & benchmark
    if val_rooms:
        assert trained == set(background_files(INDOOR, "fit")) and validated[0] == set(background_files(INDOOR, "val"))
        assert not trained & validated[0] and 0.15 < len(validated[0]) / len(trained | validated[0] | benchmark) < 0.25
    else:
        assert trained == validated[0] == set(background_files(INDOOR, "train"))


def test_validation_sees_user_framings_and_held_out_extra_photos():
    """``val_holdout`` moves matching extra photos from training to validation; ``val_closeups`` adds a
    fixed close-up/portrait composite of each validation person, the same on every build."""
    config = TrainConfig(
        data=str(CCP),
        extra_data=(str(EXTRA),),
        backgrounds=(str(INDOOR),),
        val_holdout=("davis16__swing__*",),
        val_closeups=True,
        max_val_images=6,
    )
    train, val = build_datasets(config)
    swing = [p.stem for p in sorted((EXTRA / "masks").glob("davis16__swing__*.png"))]
    assert len(swing) == 30 and not set(swing) & set(train.stems)
    assert len(train) == 721 + len(list((EXTRA / "masks").glob("*.png"))) - 30
    held = val.stems[:6]
    assert val.stems == held + swing + [f"closeup-{stem}" for stem in held]
    image, mask = val.parts[-1].load(2)
    person = val.parts[0].load(2)[1]
    assert framing(mask) in ("close-up", "half-body") and mask.mean() > person.mean()  # a closer framing
    assert (build_datasets(config)[1].parts[-1].load(2)[0] == image).all()
    assert tuple(val[40][0].shape) == (3, 320, 320)  # one transform for every part
    with pytest.raises(ValueError, match="backgrounds"):
        build_datasets(TrainConfig(data=str(CCP), val_closeups=True))


def test_portrait_lens_validation_defocuses_the_room_and_keeps_the_person_sharp():
    """``val_bokeh`` adds one composite per validation person after the close-ups, framed as they are
    but with the room always strongly defocused: drawn again without defocus, the person's mask and
    detail are the same and the room's detail is gone. ``defocus_radius`` reaches the training composites."""
    config = TrainConfig(
        data=str(CCP),
        backgrounds=(str(INDOOR),),
        val_closeups=True,
        val_bokeh=True,
        max_val_images=3,
        composite=CompositeConfig(defocus_radius=(0.01, 0.04)),
    )
    train, val = build_datasets(config)
    assert train.transform.pre.config.defocus_radius == (0.01, 0.04)
    held = val.stems[:3]
    assert val.stems == held + [f"closeup-{s}" for s in held] + [f"bokeh-{s}" for s in held]
    lens = val.parts[-1]
    assert lens.compositor.config == PORTRAIT_LENS_FRAMINGS
    sharp_framings = scene_config(**{**vars(PORTRAIT_LENS_FRAMINGS), "defocus_p": 0.0})
    sharp = CopyPaste.from_folder(str(INDOOR), config=sharp_framings, seed=config.val_seed + 1)
    for index in range(3):
        (blurred, mask), (plain, same_mask) = lens.load(index), sharp(*val.parts[0].load(index), seed=index)
        assert np.array_equal(mask, same_mask)
        person = cv2.erode((mask > 0.5).astype(np.uint8), np.ones((9, 9), np.uint8))
        room = cv2.erode((mask < 0.5).astype(np.uint8), np.ones((9, 9), np.uint8))
        assert 0.8 < sharpness(blurred, person) / sharpness(plain, person) < 1.25  # colours harmonised, detail kept
        assert sharpness(blurred, room) < 0.3 * sharpness(plain, room)


def test_validation_photos_do_not_depend_on_the_training_seed(tmp_path):
    """Runs that differ only in ``seed`` validate on the same people (and the same close-up
    composites), so none trains on another's validation photos; ``val_seed`` picks another hold-out.
    A run file written before ``val_seed`` existed (seed 42) keeps its hold-out."""
    base = dict(data=str(CCP), backgrounds=(str(INDOOR),), val_closeups=True, max_val_images=4)
    seed_42, seed_7 = (split_stems(TrainConfig(data=str(CCP), seed=seed)) for seed in (42, 7))
    assert seed_42 == seed_7 and len(seed_42[1]) == 80 and not set(seed_42[0]) & set(seed_42[1])
    other = split_stems(TrainConfig(data=str(CCP), val_seed=7))[1]
    assert len(other) == 80 and other != seed_42[1]
    closeups = [build_datasets(TrainConfig(**base, seed=seed))[1].parts[-1].load(1)[0] for seed in (42, 7)]
    assert closeups[0].shape == closeups[1].shape and (closeups[0] == closeups[1]).all()
    legacy = tmp_path / "config.json"
    legacy.write_text(json.dumps({"data": str(CCP), "seed": 42}))
    stems = SegmentationFolder(str(CCP), split="trainval").stems
    order = np.random.default_rng(42).permutation(len(stems))  # as the run's seed drew it before
    assert split_stems(TrainConfig.from_file(legacy))[1] == sorted(stems[i] for i in order[:80])


def test_indoor_close_up_benchmark_is_held_out_and_reproducible(tmp_path):
    """Built twice into two folders: the same bytes; its rooms come from the held-out fifth only."""
    first = synthetic.build(DATA)  # the cached set the leaderboard scores
    stems = sorted(p.stem for p in (first / "masks").glob("*.png"))
    assert len(stems) == 200
    labels = [framing(cv2.imread(str(first / "masks" / f"{s}.png"), 0) / 255.0) for s in stems]
    assert labels.count("close-up") + labels.count("half-body") >= 190
    composite = CopyPaste.from_folder(INDOOR, split="heldout", config=CLOSEUP_FRAMINGS, seed=synthetic.VERSION)
    assert set(composite.backgrounds) == set(background_files(INDOOR, "heldout"))
    again = synthetic.build(DATA, tmp_path / "again", limit=3)
    for stem in sorted(p.stem for p in (again / "masks").glob("*.png")):
        assert (again / "images" / f"{stem}.jpg").read_bytes() == (first / "images" / f"{stem}.jpg").read_bytes()


def test_real_close_ups_are_crops_of_the_photo_cut_by_the_bottom_edge():
    """A photo left as it is can become a close-up of its person: a sub-array of the photo (one
    camera for person and room, nothing resampled), the person's head and shoulders filling it from
    the bottom edge."""
    height, width, top, tall = 800, 400, 60, 720
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = np.zeros((height, width), np.float32)
    mask[top : top + tall, 100:300] = 1
    composite = CopyPaste([np.zeros((64, 64, 3), np.uint8)], config=scene_config(p=0.0, real_closeup_p=1.0))
    for seed in range(10):
        crop, crop_mask = composite(image, mask, seed=seed)
        rows, cols = crop.shape[:2]
        corners = np.argwhere((image[: height - rows + 1, : width - cols + 1] == crop[0, 0]).all(axis=2))
        y0, x0 = next((y, x) for y, x in corners if np.array_equal(image[y : y + rows, x : x + cols], crop))
        assert np.array_equal(mask[y0 : y0 + rows, x0 : x0 + cols], crop_mask)
        assert y0 <= top < y0 + rows <= top + 0.4 * tall + 1  # the head in, the body cut below the shoulders
        assert framing(crop_mask) == "close-up", (seed, crop.shape)


def test_real_close_ups_leave_small_people_and_every_other_draw_as_they_were():
    """A close-up of a 120-px person would be mostly enlargement: the photo stays as it is; and
    ``real_closeup_p=0`` (the default) draws nothing more: the same composites, seed for seed."""
    background = np.full((240, 320, 3), 90, np.uint8)
    person = checkered_person()
    cropped = CopyPaste([background], config=scene_config(p=0.0, real_closeup_p=1.0))
    assert all(np.array_equal(out, given) for out, given in zip(cropped(*person, seed=0), person, strict=True))
    plain = CopyPaste([background], config=scene_config(p=0.5))
    off = CopyPaste([background], config=scene_config(p=0.5, real_closeup_p=0.0))
    for seed in range(8):
        for a, b in zip(plain(*person, seed=seed), off(*person, seed=seed), strict=True):
            assert np.array_equal(a, b)


def test_training_crops_real_photos_to_close_ups_without_compositing_any():
    """``real_closeup_p`` works on its own: with no composites, CCP's full-body photos come out of the
    training set as close-ups (without it, the augmentation's own crops make a few)."""
    config = TrainConfig.from_dict(
        dict(data=str(CCP), backgrounds=[str(BACKGROUNDS)], composite_p=0.0, real_closeup_p=1.0)
    )
    train, _ = build_datasets(config)
    plain, _ = build_datasets(
        TrainConfig.from_dict(dict(data=str(CCP), backgrounds=[str(BACKGROUNDS)], composite_p=0.0))
    )
    for dataset, least, most in ((train, 14, 16), (plain, 0, 5)):
        labels = [framing(dataset.transform(*dataset.load(k), size=320, seed=k)[1]) for k in range(0, 80, 5)]
        assert least <= labels.count("close-up") <= most, labels


def test_real_close_up_validation_crops_each_held_out_photo_the_same_way_every_time():
    """``val_real_closeups`` adds each held-out photo cropped (not resampled) to a close-up of its
    person, with no backgrounds needed: the same crop on every build, whatever the training seed."""
    base = dict(data=str(CCP), max_val_images=6, val_real_closeups=True)
    val = build_datasets(TrainConfig(**base))[1]
    held = val.parts[0].stems
    assert val.stems == held + [f"real-closeup-{stem}" for stem in held]
    again = build_datasets(TrainConfig(**base, seed=7))[1]
    labels = []
    for i in range(len(held)):
        (photo, mask), (crop, crop_mask) = val.parts[0].load(i), val.parts[1].load(i)
        assert np.array_equal(crop, again.parts[1].load(i)[0])
        assert crop.shape[0] < 0.5 * photo.shape[0], (held[i], crop.shape)  # full-body photos, cut to the chest
        labels.append(framing(crop_mask))
        found = cv2.matchTemplate(photo, crop, cv2.TM_SQDIFF)
        y0, x0 = np.unravel_index(found.argmin(), found.shape)
        assert np.array_equal(photo[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]], crop)  # a sub-array
        assert np.array_equal(mask[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]], crop_mask)
    assert labels.count("close-up") >= 4 and set(labels) <= {"close-up", "half-body"}, labels
