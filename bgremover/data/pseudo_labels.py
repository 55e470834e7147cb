"""Labels for real frames without masks, fused from several teachers' probability maps (numpy only).

The rule takes away as well as adds: each pixel is the majority vote of the teachers (a person-only
teacher such as BlazePose's segmentation outvotes a salient-object teacher that keeps a chair, and two
teachers that keep a raised hand outvote the one that drops it); pixels where the teachers tie or
split without a clear majority are marked :data:`IGNORE` and left out of the loss; pieces far smaller
than the body are left unknown. :func:`voting_teachers` takes away the vote of a teacher that misses a
frame as a whole (BlazePose on a face close-up) — unless it is the anchor, the teacher that marks
every person, in which case the frame is rejected — and frames whose remaining teachers disagree are
rejected. :func:`repair_hands` then lets hands drawn from hand landmarks settle what the vote left out.

Mask files store person as 255, background as 0 and ignored pixels as :data:`IGNORE_VALUE`;
:func:`decode_label` turns such a file's values into floats with NaN where ignored.
"""

from __future__ import annotations

import cv2
import numpy as np

IGNORE_VALUE = 128  # in a pseudo-label PNG: "not known"; the loss skips these pixels
IGNORE = np.nan  # the same, in a float label
MARGIN = 0.2  # a pixel is ignored where a teacher on the winning side is within this of 0.5 (itself unsure)
VETO = 0.1  # a person-only teacher below this vetoes a "person" majority (the pixel is ignored)
MIN_PIECE = 0.1  # a person piece smaller than this fraction of the largest piece is dropped


def fuse_teachers(
    probabilities: list[np.ndarray],
    margin: float = MARGIN,
    min_piece: float = MIN_PIECE,
    person_only: int | None = None,
) -> np.ndarray:
    """Float label (H×W: 1 person, 0 background, NaN ignored) from teachers' maps in [0, 1]: the
    majority vote, ignored where the vote ties or a teacher on the winning side is unsure (within
    ``margin`` of 0.5) and on the person pieces smaller than ``min_piece`` × the largest (never taught
    as background: in a close-up the body can be the smaller piece beside a large hand).
    ``person_only``: the index of a teacher that segments people and nothing else (BlazePose); where it
    is sure there is no person (below :data:`VETO`) a majority for "person" is not taken as a label —
    a chair that the model and a salient-object teacher both keep is left out, never taught as person.

    Example:
        >>> hand = [np.full((1, 3), p, np.float32) for p in (0.9, 0.9, 0.05)]  # two keep it, one drops it
        >>> fuse_teachers(hand, min_piece=0).tolist()
        [[1.0, 1.0, 1.0]]
        >>> chair = [np.full((1, 2), p, np.float32) for p in (0.95, 0.1, 0.2)]  # a salient object, one vote
        >>> fuse_teachers(chair, min_piece=0).tolist()
        [[0.0, 0.0]]
        >>> split = [np.full((1, 1), p, np.float32) for p in (0.6, 0.55, 0.3)]  # no clear majority
        >>> fuse_teachers(split, min_piece=0).tolist()
        [[nan]]
        >>> tie = [np.full((1, 1), p, np.float32) for p in (0.95, 0.05)]  # two teachers, one each way
        >>> fuse_teachers(tie, min_piece=0).tolist()
        [[nan]]
    """
    stack = np.stack([np.asarray(p, np.float32) for p in probabilities])
    votes = (stack >= 0.5).sum(axis=0)
    person = votes * 2 > len(probabilities)
    pieces = person & ~keep_body(person, min_piece) if min_piece > 0 else np.zeros_like(person)
    person &= ~pieces
    label = person.astype(np.float32)
    winners = (stack >= 0.5) == person  # the teachers on the winning side of each pixel
    unsure = winners & (np.abs(stack - 0.5) < margin)
    ignored = unsure.any(axis=0) | (votes * 2 == len(probabilities))
    if person_only is not None:
        ignored |= person & (stack[person_only] < VETO)
    ignored |= pieces  # far smaller than the body: a stray blob, or a body the frame's crop cut off from a hand
    label[ignored] = IGNORE
    return label


def repair_hands(label: np.ndarray, probabilities: list[np.ndarray], hands: np.ndarray) -> np.ndarray:
    """``label`` (:func:`fuse_teachers`) with the hands drawn from landmarks (``hands``: bool H×W,
    :func:`bgremover.hands.hand_silhouette`) settling what the teachers' vote left out: inside a hand, a
    pixel any teacher keeps is person (a raised hand two teachers drop, or a hand the vote cut off as a
    small piece); one every teacher drops is left unknown, never taught as background or as person
    (the stroke is wider than a finger between spread fingers). Outside the hands nothing changes.

    Example:
        >>> label = np.array([[1.0, 0.0, np.nan, 0.0, 0.0]], np.float32)  # body, a dropped hand, unsure, ...
        >>> teachers = [np.array([[0.9, 0.8, 0.6, 0.1, 0.2]]), np.array([[0.9, 0.1, 0.3, 0.2, 0.1]]),
        ...             np.array([[0.95, 0.2, 0.4, 0.3, 0.0]])]
        >>> hands = np.array([[False, True, True, True, False]])
        >>> repair_hands(label, teachers, hands).tolist()
        [[1.0, 1.0, 1.0, nan, 0.0]]
    """
    kept = (np.stack([np.asarray(p, np.float32) for p in probabilities]) >= 0.5).any(axis=0)
    repaired = np.array(label, np.float32, copy=True)
    repaired[hands & kept] = 1.0
    repaired[hands & ~kept] = IGNORE
    return repaired


def voting_teachers(
    probabilities: list[np.ndarray], min_agreement: float = 0.5, anchor: int | None = None
) -> list[int]:
    """Indices of the teachers that vote on a frame: a teacher whose mask matches no other teacher's
    (IoU below ``min_agreement`` with every one) has missed the frame and loses its vote, as long as two
    teachers remain.

    ``anchor``: the index of a teacher that must keep its vote (the one that marks every person whole).
    When it matches no other teacher the others agree on something else — a salient-object and a
    one-person teacher both keeping only the raised hand of a close-up, or only one of two people —
    and the frame has no voters (``[]``): it is rejected rather than labelled by a shared mistake.

    Example:
        >>> a = np.zeros((2, 2), np.float32); a[0] = 1
        >>> voting_teachers([a, a, 1 - a])
        [0, 1]
        >>> voting_teachers([a, a, 1 - a], anchor=2)
        []
    """
    masks = [np.asarray(p) >= 0.5 for p in probabilities]
    best = [max(_iou(m, other) for j, other in enumerate(masks) if j != i) for i, m in enumerate(masks)]
    keep = [i for i, score in enumerate(best) if score >= min_agreement]
    voters = keep if len(keep) >= 2 else sorted(range(len(masks)), key=lambda i: -best[i])[:2]
    return [] if anchor is not None and anchor not in voters else voters


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def keep_body(person: np.ndarray, min_piece: float = MIN_PIECE) -> np.ndarray:
    """``person`` (bool) without the connected pieces smaller than ``min_piece`` × the largest.

    Example:
        >>> mask = np.zeros((4, 8), bool); mask[:, :4] = True; mask[0, 7] = True
        >>> int(keep_body(mask).sum())
        16
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(person.astype(np.uint8), connectivity=8)
    if count <= 2:
        return person
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= min_piece * areas.max()) + 1
    return np.isin(labels, keep)


def teacher_agreement(probabilities: list[np.ndarray]) -> float:
    """The smallest IoU (at 0.5) between any two teachers' masks: low when one of them sees
    something else entirely (1.0 when all masks are empty).

    Example:
        >>> a = np.zeros((2, 2), np.float32); a[0] = 1
        >>> teacher_agreement([a, a, np.ones((2, 2), np.float32)])
        0.5
    """
    masks = [np.asarray(p) >= 0.5 for p in probabilities]
    pairs = [(i, j) for i in range(len(masks)) for j in range(i + 1, len(masks))]
    return min((_iou(masks[i], masks[j]) for i, j in pairs), default=1.0)


def encode_label(label: np.ndarray) -> np.ndarray:
    """uint8 mask file values for a float label (NaN → :data:`IGNORE_VALUE`).

    Example:
        >>> encode_label(np.array([[0.0, 1.0, np.nan]])).tolist()
        [[0, 255, 128]]
    """
    out = np.where(np.asarray(label) >= 0.5, 255, 0).astype(np.uint8)
    out[np.isnan(label)] = IGNORE_VALUE
    return out


def decode_label(mask: np.ndarray) -> np.ndarray:
    """Float label (1, 0, NaN) from a pseudo-label file's values (uint8, or floats in [0, 1]).

    Example:
        >>> decode_label(np.array([[0, 255, 128]], np.uint8)).tolist()
        [[0.0, 1.0, nan]]
    """
    values = np.asarray(mask)
    values = np.rint(values * 255.0) if values.dtype.kind == "f" else values
    label = (values >= IGNORE_VALUE + 64).astype(np.float32)
    label[np.abs(values.astype(np.int32) - IGNORE_VALUE) <= 8] = IGNORE
    return label


def thumbnail_hash(rgb: np.ndarray, size: int = 16) -> np.ndarray:
    """A small grey thumbnail that tells near-duplicate frames apart (mean absolute difference)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def average_hash(rgb: np.ndarray) -> int:
    """64-bit average hash: the same photo re-encoded or resized lands within a few bits."""
    small = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (8, 8), interpolation=cv2.INTER_AREA)
    bits = (small > small.mean()).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)
