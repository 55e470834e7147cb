"""MediaPipe Hands through LiteRT (bgremover.hands): palm decoding, the hand square, the silhouette, the
real models on a committed photo, and the pseudo-labeller's hand repair."""

from __future__ import annotations

import numpy as np
import pytest

from bgremover.data.pseudo_labels import fuse_teachers, repair_hands
from bgremover.errors import UsageError, WeightsUnavailableError
from bgremover.hands import (
    HAND_MODELS,
    LANDMARK_SIZE,
    HandLandmarker,
    decode_palms,
    hand_silhouette,
    hand_square,
    ssd_anchors,
)
from bgremover.io import read_image
from tests.conftest import REPO

CHARADES = REPO / "bgremover_app" / "examples" / "hands_raised_charades.jpg"  # committed, credited
# the centres of her two raised hands in the committed photo (1600×1200), checked on the photo
RAISED_HANDS = ((1045, 245), (1185, 245))


@pytest.fixture(scope="module")
def landmarker() -> HandLandmarker:
    try:
        return HandLandmarker(threads=2)
    except WeightsUnavailableError as err:
        pytest.skip(f"MediaPipe Hands' files are not here ({err}); put them in $BGREMOVER_WEIGHTS_DIR/peers/")


def test_anchors_cover_the_detector_square_row_by_row():
    anchors = ssd_anchors()
    assert np.allclose(anchors[:2], [[1 / 48, 1 / 48]] * 2)  # two anchors per stride-8 cell
    assert np.allclose(anchors[2], [3 / 48, 1 / 48])  # then the next cell to the right
    assert np.allclose(anchors[1152], [1 / 24, 1 / 24]) and np.allclose(anchors[-1], [23 / 24, 23 / 24])


def test_overlapping_palms_are_one_palm_and_distant_ones_two():
    raw, logits = np.zeros((2016, 18), np.float32), np.full(2016, -9.0, np.float32)
    raw[:, 2:4] = 38.4  # every box 0.2 wide
    logits[[0, 1]] = (3.0, 2.0)  # the same cell twice: one palm, the better score
    logits[1151] = 1.0  # the far corner: another palm
    logits[5] = 0.0  # below MediaPipe's 0.5 score
    palms = decode_palms(raw, logits)
    assert [round(score, 3) for score, _, _ in palms] == [0.953, 0.731]
    assert np.allclose(palms[1][1][:2], ssd_anchors()[1151])


@pytest.mark.parametrize("direction", [(0, -1), (1, 0), (-1, 1)])
def test_the_hand_square_points_up_the_fingers(direction):
    """Whichever way the hand points, the landmark model's "up" runs from the wrist to the fingers, and
    the square sits half a palm towards them, 2.6 palms wide."""
    palm, towards = np.array([200.0, 200.0]), np.asarray(direction) / np.hypot(*direction)
    keypoints = np.array([palm - 15 * towards, [0, 0], palm + 15 * towards])  # the wrist, -, the middle knuckle
    to_photo = hand_square(np.array([*palm, 30.0, 30.0]), keypoints)
    top, bottom = to_photo @ [LANDMARK_SIZE / 2, 0, 1], to_photo @ [LANDMARK_SIZE / 2, LANDMARK_SIZE, 1]
    pointing = (top - bottom) / np.linalg.norm(top - bottom)
    assert np.allclose(pointing, towards, atol=1e-6)
    assert np.isclose(np.linalg.norm(top - bottom), 2.6 * 30)
    assert np.allclose(to_photo @ [LANDMARK_SIZE / 2, LANDMARK_SIZE / 2, 1], palm + 15 * towards)


def test_the_silhouette_is_the_drawn_hand_and_nothing_else():
    palm = {0: (50, 90), 1: (40, 82), 5: (42, 60), 9: (50, 58), 13: (58, 60), 17: (65, 64)}
    points = np.zeros((21, 2), np.float32)
    for i, xy in palm.items():
        points[i] = xy
    spread = {1: (-1.2, -0.8), 5: (-0.5, -1), 9: (0, -1), 13: (0.4, -1), 17: (0.8, -1)}  # fingers fanned out
    for finger, base in zip(((2, 3, 4), (6, 7, 8), (10, 11, 12), (14, 15, 16), (18, 19, 20)), spread, strict=True):
        for k, i in enumerate(finger, start=1):
            points[i] = points[base] + 8 * k * np.asarray(spread[base])
    mask = hand_silhouette((120, 100), [points])
    assert mask[75, 52] and mask[34, 50] and mask[40, 84]  # the palm, the middle fingertip, the little one
    assert not mask[:25].any() and not mask[100:].any() and not mask[:, 92:].any()
    assert not mask[38, 40]  # between two spread fingers
    assert not hand_silhouette((120, 100), []).any()


def test_her_raised_hands_are_found_where_they_are(landmarker):
    hands = landmarker(read_image(CHARADES))
    centres = sorted(tuple(hand.mean(axis=0)) for hand in hands)
    assert len(centres) == 2
    for (x, y), (ex, ey) in zip(centres, RAISED_HANDS, strict=True):
        assert abs(x - ex) < 40 and abs(y - ey) < 40, centres
    for hand in hands:
        span = np.ptp(hand, axis=0)
        assert 60 < max(span) < 200  # a hand's size in this photo, not a face's or a speck's
    assert landmarker(np.full((240, 320, 3), 128, np.uint8)) == []  # a grey frame has no hands


@pytest.mark.parametrize(
    "bad",
    [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8), np.zeros((8, 8, 3)), np.zeros((0, 8, 3), np.uint8)],
)
def test_anything_but_an_rgb_photo_is_refused_in_the_librarys_words(landmarker, bad):
    with pytest.raises(UsageError, match="RGB uint8"):
        landmarker(bad)


def test_the_files_are_pinned_and_refused_when_altered(tmp_path, monkeypatch):
    (tmp_path / "peers").mkdir()
    monkeypatch.setenv("BGREMOVER_WEIGHTS_DIR", str(tmp_path))
    for spec in HAND_MODELS.values():
        (tmp_path / "peers" / spec.file_name).write_bytes(b"not the model")
        with pytest.raises(WeightsUnavailableError, match="published checksum"):
            spec.weights()


def test_the_repair_settles_a_hand_the_vote_lost_and_nothing_else():
    """A body and a hand the crop separated from it: two teachers drop the hand, the small-piece rule
    would leave the rest of it unknown; the drawn hand makes the kept pixels person, leaves the pixels
    every teacher drops unknown, and touches nothing outside the hand."""
    ours = np.zeros((20, 20), np.float32)
    ours[8:, :10] = 0.95  # the body
    ours[2:5, 14:17] = 0.9  # the hand: only our model keeps it
    salient, pose = ours.copy(), ours.copy()
    salient[2:5, 14:17] = pose[2:5, 14:17] = 0.1
    chair = (slice(10, 18), slice(12, 18))
    ours[chair] = salient[chair] = 0.9  # a chair: two teachers keep it, the person-only one vetoes it
    teachers = [ours, salient, pose]
    vote = fuse_teachers(teachers, min_piece=0.1, person_only=2)
    assert (vote[2:5, 14:17] == 0).all()  # the vote drops the hand
    drawn = np.zeros((20, 20), bool)
    drawn[1:6, 13:18] = True  # the hand from its landmarks, a pixel wider than it is
    repaired = repair_hands(vote, teachers, drawn)
    assert (repaired[2:5, 14:17] == 1).all()
    assert np.isnan(repaired[1, 13:18]).all() and np.isnan(repaired[5, 13:18]).all()  # every teacher drops these
    outside = ~drawn
    assert np.array_equal(np.isnan(repaired[outside]), np.isnan(vote[outside]))
    assert np.array_equal(repaired[outside & ~np.isnan(vote)], vote[outside & ~np.isnan(vote)])
    assert np.isnan(repaired[chair]).all()  # the chair stays out of the label
