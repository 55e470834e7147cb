"""Datasets, augmentation alignment, copy-paste compositing, COCO reading, samplers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from bgremover.data import (
    CopyPaste,
    HardExampleSampler,
    MultiScaleBatchSampler,
    PairTransform,
    SegmentationFolder,
    train_pipeline,
)
from bgremover.data.dataset import find_pairs
from bgremover.errors import DataNotFoundError
from tests.conftest import CCP, scene_config


def square_scene(size: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """A white figure on black: the mask can be read back from the image by thresholding."""
    image = np.zeros((size, size + 20, 3), np.uint8)
    mask = np.zeros((size, size + 20), np.float32)
    mask[20:80, 30:60] = 1
    mask[10:20, 40:50] = 1  # a "head": breaks the symmetries
    image[mask > 0] = 255
    return image, mask


def test_folder_dataset_reads_real_pairs(ccp_stems):
    ds = SegmentationFolder(CCP, stems=ccp_stems)
    image, mask = ds[0]
    assert image.shape[0] == 3 and mask.shape[0] == 1 and image.shape[1:] == mask.shape[1:]
    assert set(np.unique(mask.numpy())) <= {0.0, 1.0} and 0.1 < mask.mean() < 0.5
    assert len(SegmentationFolder(CCP, split="test")) == 200


def test_a_folder_without_images_or_masks_is_refused_in_the_librarys_words(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"is not a data folder: it has no images/"):
        find_pairs(tmp_path / "missing")
    (tmp_path / "images").mkdir()
    with pytest.raises(DataNotFoundError, match=r"it has no masks/"):
        find_pairs(tmp_path)


def test_mismatched_pairs_are_reported_by_name(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "images" / "a.jpg")
    Image.new("RGB", (8, 8)).save(tmp_path / "images" / "lonely.jpg")
    Image.new("L", (8, 8)).save(tmp_path / "masks" / "a.png")
    with pytest.raises(DataNotFoundError, match="lonely"):
        SegmentationFolder(tmp_path)
    Image.new("L", (9, 8)).save(tmp_path / "masks" / "lonely.png")
    with pytest.raises(ValueError, match=r"lonely.*differ in size"):
        SegmentationFolder(tmp_path, stems=["lonely"])[0]


@pytest.mark.parametrize("seed", range(12))
def test_train_pipeline_keeps_image_and_mask_aligned(seed):
    import torch

    torch.manual_seed(seed)
    train_pipeline.cache_clear()
    image, mask = square_scene()
    out = PairTransform(64, train=True, rotate90_p=0.5)(image, mask)
    read_back = out[0].mean(-1) > 127
    agreement = (read_back == (out[1] > 0.5)).mean()
    assert out[0].shape == (64, 64, 3) and out[1].shape == (64, 64)
    assert agreement > 0.97, agreement


def centroid(weights: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(weights.shape)
    return np.array([(cols * weights).sum(), (rows * weights).sum()]) / weights.sum()


@pytest.mark.parametrize("squash_p", [0.0, 1.0])
@pytest.mark.parametrize("source", [(300, 200), (50, 34)], ids=["shrunk", "enlarged"])
def test_train_pipeline_keeps_masks_on_their_images_to_a_tenth_of_a_pixel(squash_p, source):
    """A white figure on black, the mask equal to the image: after the whole train pipeline
    (fitted, filled and cropped, or squashed; shrunk or enlarged) the mask's centroid is the
    image's to within 0.1 px on average. Nearest-neighbour mask resampling put masks 0.4-0.5 px
    right of and below their images."""
    height, width = source
    image, mask = np.zeros((height, width, 3), np.uint8), np.zeros((height, width), np.float32)
    mask[height // 5 : height * 9 // 10, width // 4 : width * 3 // 4] = 1
    mask[height // 10 : height // 5, width * 2 // 5 : width * 3 // 5] = 1
    image[mask > 0] = 255
    offsets = []
    for seed in range(24):
        out_image, out_mask = PairTransform(64, train=True, rotate90_p=0.0, squash_p=squash_p)(image, mask, seed=seed)
        gray = out_image.mean(-1)
        gray = (gray - gray.min()) / (gray.max() - gray.min())  # undoes brightness and contrast
        offsets.append(centroid(gray) - centroid(out_mask))
    assert np.abs(np.mean(offsets, axis=0)).max() < 0.1, np.mean(offsets, axis=0)


def test_eval_pipeline_keeps_masks_on_their_images():
    image, mask = square_scene()
    out_image, out_mask = PairTransform(64, train=False)(image, mask)
    assert np.abs(centroid(out_image.mean(-1) / 255) - centroid(out_mask)).max() < 0.02


def test_eval_pipeline_is_deterministic():
    image, mask = square_scene()
    a = PairTransform(64, train=False)(image, mask)
    b = PairTransform(64, train=False)(image, mask)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def flat_person(height: int = 60, width: int = 24) -> tuple[np.ndarray, np.ndarray]:
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = 255  # pure red person
    mask = np.zeros((height, width), np.float32)
    mask[5:-5, 4:-4] = 1
    return image, mask


@pytest.mark.parametrize("seed", range(8))
def test_composite_puts_person_where_mask_says(seed):
    background = np.zeros((120, 160, 3), np.uint8)
    background[..., 2] = 255  # pure blue
    person = flat_person()
    config = scene_config(p=1.0, canvas_long_side=160, feather_sigma=(0.0, 0.0))
    composite = CopyPaste([background], people=lambda rng: person, config=config)
    image, mask = composite(*person, seed=seed)  # the draw depends on this seed alone
    fg, bg = image[mask > 0.5], image[mask < 0.5]
    assert mask.any() and (fg == [255, 0, 0]).all() and (bg == [0, 0, 255]).all()


@pytest.mark.parametrize("squash_p", [0.0, 1.0])
def test_squash_resizes_the_whole_frame_to_the_square(squash_p):
    """A 40×200 frame with a left-to-right ramp (red) and a top-to-bottom ramp (green). Squashed to
    64², its rows fill the output and its whole width stays in; fitted, its rows fill 16 of 64 (the
    rest repeats the edge rows); filled and cropped, a fifth of its width remains."""
    image = np.zeros((40, 200, 3), np.uint8)
    image[..., 0] = np.linspace(0, 255, 200, dtype=np.uint8)[None, :]
    image[..., 1] = np.linspace(0, 255, 40, dtype=np.uint8)[:, None]
    mask = np.zeros((40, 200), np.float32)
    squashed = []
    for seed in range(12):
        out = PairTransform(64, train=True, rotate90_p=0.0, squash_p=squash_p)(image, mask, seed=seed)[0]
        rows, width = len(np.unique(out[:, 32, 1])), int(out[32, :, 0].max()) - int(out[32, :, 0].min())
        squashed.append(rows >= 30 and width >= 100)
    assert all(squashed) if squash_p else not any(squashed)


def test_every_composite_shows_someone():
    background = np.zeros((120, 160, 3), np.uint8)
    person = flat_person()
    config = scene_config(p=1.0, canvas_long_side=160)
    composite = CopyPaste([background], people=lambda rng: person, config=config)
    assert all(composite(*person, seed=seed)[1].any() for seed in range(300))  # nobody pasted fully off-canvas


def test_empty_composites_are_background_alone():
    background = np.zeros((120, 160, 3), np.uint8)
    background[..., 2] = 255
    person = flat_person()
    empty = CopyPaste([background], config=scene_config(p=1.0, canvas_long_side=160, empty_p=1.0))
    image, mask = empty(*person, seed=0)
    assert not mask.any() and (image == [0, 0, 255]).all()
    some = CopyPaste([background], config=scene_config(p=1.0, canvas_long_side=160, empty_p=0.5))
    assert 0.3 < np.mean([not some(*person, seed=seed)[1].any() for seed in range(200)]) < 0.7


def test_composite_occluder_hides_people_and_is_labelled_background():
    background = np.zeros((120, 160, 3), np.uint8)
    background[..., 2] = 255  # pure blue: the occluder's texture is another crop of it
    person = flat_person(100, 40)
    hidden = 0
    for seed in range(8):
        outputs = []
        for occluder_p in (0.0, 1.0):
            config = scene_config(p=1.0, canvas_long_side=160, feather_sigma=(0.0, 0.0), occluder_p=occluder_p)
            outputs.append(CopyPaste([background], people=lambda rng: person, config=config)(*person, seed=seed))
        (_, plain), (image, occluded) = outputs
        assert (occluded <= plain).all()  # same scene, some of the people covered
        assert (image[occluded > 0.5] == [255, 0, 0]).all() and (image[occluded < 0.5] == [0, 0, 255]).all()
        hidden += int((plain - occluded).sum())
    assert hidden > 0


@pytest.mark.parametrize("front_p", [0.0, 1.0])
def test_composite_hard_negative_touches_the_people_and_is_background(front_p):
    background = np.zeros((120, 160, 3), np.uint8)
    background[..., 2] = 255  # pure blue room, pure red person, pure green object
    person = flat_person(100, 40)
    thing = np.zeros((30, 30, 3), np.uint8)
    thing[..., 1] = 255
    thing_mask = np.ones((30, 30), np.float32)
    touched = 0
    for seed in range(8):
        outputs = []
        for negative_p in (0.0, 1.0):
            config = scene_config(
                p=1.0, canvas_long_side=160, feather_sigma=(0.0, 0.0), negative_p=negative_p, negative_front_p=front_p
            )
            cp = CopyPaste(
                [background], people=lambda rng: person, config=config, negatives=lambda rng: (thing, thing_mask)
            )
            outputs.append(cp(*person, seed=seed))
        (plain_image, plain), (image, label) = outputs
        green = (image == [0, 255, 0]).all(-1)
        if front_p == 0.0:  # behind: the people and their label as they were, the object only around them
            assert (label == plain).all() and not green[plain > 0.5].any()
        else:  # in front: what it covers of the people is background now
            assert (label <= plain).all() and not (label[green] > 0.5).any()
            assert green[plain > 0.5].sum() == int((plain - label).sum())
        assert (image[~green] == plain_image[~green]).all()  # the rest of the scene is the same draw
        near = cv2.dilate((plain > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        touched += bool(plain.any() and (green & near).any())
    assert touched >= 6  # the object touches the people in (almost) every scene with people


def test_composite_scales_and_frames():
    background = np.full((400, 400, 3), 90, np.uint8)
    person = flat_person(200, 80)
    small = scene_config(
        p=1.0, canvas_long_side=400, canvas_aspects=(1.0,), portrait_p=0.0, group_p=0.0, full_height=(0.1, 0.1)
    )
    heights = []
    for seed in range(10):
        _, mask = CopyPaste([background], config=small)(*person, seed=seed)
        rows = np.nonzero(mask.any(1))[0]
        heights.append(rows.max() - rows.min() + 1 if len(rows) else 0)
    assert max(heights) <= 0.1 * 400 + 2 and np.median(heights) >= 0.05 * 400  # a tenth of the frame
    portrait = scene_config(p=1.0, canvas_long_side=400, canvas_aspects=(1.0,), portrait_p=1.0)
    _, mask = CopyPaste([background], config=portrait)(*person, seed=0)
    assert mask[-1].any()  # head-and-torso crops are cut by the frame's bottom edge
    group = scene_config(
        p=1.0, canvas_long_side=400, canvas_aspects=(1.0,), portrait_p=0.0, group_p=1.0, group_size=(3, 3)
    )

    _, mask = CopyPaste([background], people=lambda rng: person, config=group)(*person, seed=3)
    assert cv2.connectedComponents((mask > 0.5).astype(np.uint8))[0] - 1 >= 2  # several people


@pytest.mark.parametrize("seed", range(6))
def test_composite_group_rows_stand_shoulder_to_shoulder_on_one_line(seed):
    background = np.full((400, 400, 3), 90, np.uint8)
    person = flat_person(200, 80)
    row = scene_config(
        p=1.0, canvas_long_side=400, canvas_aspects=(1.0,), portrait_p=0.0, group_p=1.0, group_size=(5, 5)
    )
    row.group_row_p = 1.0
    _, mask = CopyPaste([background], people=lambda rng: person, config=row)(*person, seed=seed)
    columns = np.nonzero(mask.any(0))[0]
    assert len(columns) and columns.max() - columns.min() + 1 == len(columns)  # no gap between neighbours
    feet = np.array([np.nonzero(mask[:, c])[0].max() for c in columns])
    assert feet.max() - feet.min() <= 0.06 * 400 + 2  # one ground line, up to the stated jitter


def test_composite_feathers_edges_but_keeps_binary_target():
    background = np.zeros((120, 160, 3), np.uint8)
    config = scene_config(
        p=1.0, canvas_long_side=160, feather_sigma=(1.5, 1.5), portrait_p=0.0, group_p=0.0, full_height=(0.8, 0.8)
    )
    image, mask = CopyPaste([background], config=config)(*flat_person(), seed=1)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert len(np.unique(image[..., 0])) > 10  # soft transitions between 0 and 255


def test_multiscale_batches_share_a_size():
    sampler = MultiScaleBatchSampler(range(10), 3, sizes=(64, 96), drop_last=True, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 3
    assert {s for b in batches for _, s, _ in b} <= {64, 96}
    assert all(len({s for _, s, _ in b}) == 1 for b in batches)
    sampler.set_epoch(0, start_batch=2)
    assert list(sampler) == batches[2:]  # a resumed epoch replays the same sizes and seeds


def test_hard_example_sampler_prefers_high_loss():
    sampler = HardExampleSampler(10, seed=0, floor=0.2)
    sampler.update(list(range(10)), [0.01] * 9 + [10.0])
    counts = np.bincount(list(sampler), minlength=10)
    assert counts[9] > counts[:9].max() and counts[:9].sum() > 0
