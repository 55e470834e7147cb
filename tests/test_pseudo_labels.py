"""Pseudo-labels: the teachers' vote, the files that carry unknown pixels, and training that leaves
those pixels out of the loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from bgremover.data.pseudo_labels import IGNORE_VALUE, decode_label, encode_label, fuse_teachers, voting_teachers
from bgremover.io import read_mask
from bgremover.losses import CompositeLoss
from bgremover.train import Trainer
from bgremover.train.builders import build_datasets
from bgremover.train.config import TrainConfig
from tests.conftest import CCP, TINY, rng_image


def test_the_vote_adds_a_raised_hand_and_takes_away_a_chair():
    """Three teachers on a 1×6 strip: body, body, a hand the model drops, a chair the model and the
    salient-object teacher keep, a cushion only the salient teacher keeps, background."""
    ours = np.array([[0.95, 0.95, 0.05, 0.9, 0.1, 0.02]], np.float32)
    salient = np.array([[0.9, 0.9, 0.9, 0.95, 0.9, 0.01]], np.float32)
    pose = np.array([[0.9, 0.85, 0.8, 0.05, 0.05, 0.03]], np.float32)  # segments people only
    label = fuse_teachers([ours, salient, pose], min_piece=0, person_only=2)
    assert label[0, [0, 1, 2, 4, 5]].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert np.isnan(label[0, 3])  # the chair is never taught as person
    assert fuse_teachers([ours, salient, pose], min_piece=0)[0, 3] == 1.0  # which a plain vote would do
    unsure = fuse_teachers([ours, salient, np.array([[0.9, 0.9, 0.6, 0.1, 0.1, 0.0]], np.float32)], min_piece=0)
    assert np.isnan(unsure[0, 2]) and unsure[0, 5] == 0.0  # the winning side holds a doubtful vote


def test_a_teacher_that_misses_the_frame_loses_its_vote():
    person = np.zeros((20, 20), np.float32)
    person[5:15, 5:15] = 1.0
    missed = np.zeros_like(person)
    missed[0:3, 0:3] = 1.0
    assert voting_teachers([person, person * 0.9, missed]) == [0, 1]
    label = fuse_teachers([person, person * 0.9], min_piece=0)
    assert label.sum() == 100 and not np.isnan(label).any()


def test_a_frame_where_two_teachers_keep_only_the_hand_is_rejected_not_labelled():
    # a close-up: the default keeps the whole person, U²-Net (salient) and BlazePose only the raised hand
    person = np.zeros((40, 40), np.float32)
    person[10:40, 5:35] = 1.0  # head and shoulders to the bottom edge
    person[0:12, 28:38] = 1.0  # the raised hand, joined to the body
    hand = np.zeros_like(person)
    hand[0:12, 28:38] = 0.95
    teachers = [person, hand, hand * 0.9]
    assert voting_teachers(teachers) == [1, 2]  # without an anchor the shared mistake would be the label
    assert fuse_teachers([hand, hand * 0.9], min_piece=0).sum() == 120  # ... the hand alone, 120 px
    assert voting_teachers(teachers, anchor=0) == []
    assert voting_teachers([person, person * 0.9, hand], anchor=0) == [0, 1]  # the anchor votes: labelled


def test_label_files_round_trip_through_png(tmp_path):
    label = np.array([[0.0, 1.0, np.nan, 1.0]], np.float32)
    Image.fromarray(encode_label(label)).save(tmp_path / "m.png")
    assert np.asarray(Image.open(tmp_path / "m.png")).tolist() == [[0, 255, IGNORE_VALUE, 255]]
    back = decode_label(read_mask(tmp_path / "m.png"))
    assert np.array_equal(np.isnan(back), np.isnan(label)) and np.nan_to_num(back).tolist() == [[0, 1, 0, 1]]


def test_unknown_pixels_carry_no_gradient():
    """BCE and Dice are exact about it: the gradient at NaN target pixels is zero; elsewhere it is not."""
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 8, 8, requires_grad=True)
    target = (torch.rand(2, 1, 8, 8) > 0.5).float()
    target[:, :, :3] = float("nan")
    total, _ = CompositeLoss(perceptual=0.0, edge=0.0)(logits, target)
    total.backward()
    assert torch.isfinite(total)
    assert logits.grad[:, :, :3].abs().max() == 0.0 and logits.grad[:, :, 3:].abs().min() > 0.0


@pytest.fixture(scope="module")
def pseudo_folder(tmp_path_factory):
    """Two real-looking frames with pseudo-labels: a person block, an unknown band, background."""
    root = tmp_path_factory.mktemp("pseudo")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    for i in range(2):
        Image.fromarray(rng_image(80, 64, seed=i)).save(root / "images" / f"frame{i}.jpg")
        label = np.zeros((80, 64), np.float32)
        label[20:70, 16:48] = 1.0
        label[10:20] = np.nan
        Image.fromarray(encode_label(label)).save(root / "masks" / f"frame{i}.png")
    return root


def test_pseudo_frames_join_training_unknown_pixels_kept_and_never_composited(tmp_path, pseudo_folder):
    config = TrainConfig.from_dict(
        {
            **TINY,
            "out_dir": str(tmp_path / "run"),
            "composite_p": 1.0,
            "pseudo_data": [str(pseudo_folder)],
            "pseudo_repeat": 2,
        }
    )
    train, _ = build_datasets(config)
    pseudo = [i for i, stem in enumerate(train.stems) if stem.startswith("frame")]
    assert len(pseudo) == 4  # two frames, listed twice
    image, mask = train.load(pseudo[0])
    assert np.isnan(mask[10:20]).all() and mask[20:70, 16:48].min() == 1.0 and mask[75].max() == 0.0
    out_image, out_mask = train.transform.pre(image, mask, seed=3)
    assert out_image is image and out_mask is mask  # every real photo is composited (p=1); this one is not
    real = next(i for i, stem in enumerate(train.stems) if not stem.startswith("frame"))
    assert not np.isnan(train.load(real)[1]).any()


def test_a_run_with_pseudo_frames_trains_with_finite_losses(tmp_path, pseudo_folder):
    split = tmp_path / "split.txt"
    split.write_text("\n".join(sorted(p.stem for p in (CCP / "masks").iterdir())[:6]) + "\n")
    config = TrainConfig(
        **{**TINY, "split": str(split), "out_dir": str(tmp_path / "run"), "pseudo_data": (str(pseudo_folder),)},
        pseudo_repeat=3,
        epochs=1,
    )
    values = Trainer(config).fit()
    assert 0.0 <= values["iou"] <= 1.0
    logged = (tmp_path / "run" / "metrics.jsonl").read_text() if (tmp_path / "run" / "metrics.jsonl").exists() else ""
    assert "nan" not in logged.lower()


def test_a_piece_far_smaller_than_the_largest_is_left_unknown_not_background():
    """In a close-up the hand can be the largest piece and the body a small one at the frame's edge:
    the small piece is not taught as person, and not as background either."""
    mask = np.zeros((40, 40), np.float32)
    mask[2:30, 2:30] = 1.0  # a hand filling the frame
    mask[36:40, 36:40] = 1.0  # a sliver of the body in the corner
    label = fuse_teachers([mask, mask, mask])
    assert np.isnan(label[36:40, 36:40]).all() and label[10, 10] == 1.0 and label[33, 5] == 0.0
