"""Hands in a photo and their silhouettes: MediaPipe Hands (palm detector + 21-landmark model, Apache-2.0)
through LiteRT, computed as MediaPipe's hand-tracking graph computes it — the pseudo-labeller's hand
repair (:func:`bgremover.data.pseudo_labels.repair_hands`).

The palm detector sees the whole photo letterboxed to 192² (RGB in [0, 1]) and proposes palms with seven
keypoints on 2,016 SSD anchors; each palm gives a rotated square around the whole hand (the wrist →
middle-finger direction turned upright, 2.6 × the palm box, shifted half a box towards the fingers),
which the landmark model reads at 224² and answers with 21 landmarks and a hand-presence score.
:func:`hand_silhouette` draws a hand from its landmarks (the palm polygon and each finger as a thick
stroke). Both files are MediaPipe's pinned assets (the ones PyPI ``mediapipe`` 0.10.21 ships), fetched
once and checked by sha256; offline, put them in ``$BGREMOVER_WEIGHTS_DIR/peers/``.

Example:
    >>> ssd_anchors().shape
    (2016, 2)
    >>> HAND_MODELS["landmarks"].file_name
    'hand_landmark_full.tflite'
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from bgremover.errors import UsageError
from bgremover.extras import require
from bgremover.imageops import letterbox
from bgremover.weights import PinnedFile

PALM_SIZE = 192  # the palm detector's input, letterboxed RGB in [0, 1]
LANDMARK_SIZE = 224  # the landmark model's input: the rotated hand square, RGB in [0, 1]
MIN_PALM_SCORE = 0.5  # MediaPipe's defaults: palm detection and hand presence
MIN_PRESENCE = 0.5
NMS_IOU = 0.3  # a palm box overlapping a better one by more than this is the same palm
ROI_SCALE, ROI_SHIFT = 2.6, -0.5  # palm box → hand square (MediaPipe's palm_detection_detection_to_roi)
PALM = (0, 1, 5, 9, 13, 17)  # landmarks outlining the palm
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
FINGER_WIDTH = 0.3  # a finger's stroke, as a fraction of the palm's width (index to little knuckle)

HAND_MODELS = {
    # MediaPipe's pinned assets (third_party/external_files.bzl: same sha256), as PyPI mediapipe 0.10.21 ships them
    "palm": PinnedFile(
        "palm_detection_full.tflite",
        "https://storage.googleapis.com/mediapipe-assets/palm_detection_full.tflite?generation=1662745358034050",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    ),
    "landmarks": PinnedFile(
        "hand_landmark_full.tflite",
        "https://storage.googleapis.com/mediapipe-assets/hand_landmark_full.tflite?generation=1661875760968579",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    ),
}


def ssd_anchors() -> np.ndarray:
    """The palm detector's 2,016 anchor centres (x, y) in [0, 1]: 24² cells × 2 at stride 8, then 12² × 6
    at stride 16 (the three stride-16 layers share one grid), row by row."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = PALM_SIZE // stride
        grid = (np.stack(np.meshgrid(np.arange(cells), np.arange(cells)), -1).reshape(-1, 2) + 0.5) / cells
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two (cx, cy, w, h) boxes."""
    lo, hi = np.maximum(a[:2] - a[2:] / 2, b[:2] - b[2:] / 2), np.minimum(a[:2] + a[2:] / 2, b[:2] + b[2:] / 2)
    inter = float(np.prod(np.clip(hi - lo, 0, None)))
    return inter / max(float(a[2] * a[3] + b[2] * b[3]) - inter, 1e-9)


def decode_palms(
    raw: np.ndarray, logits: np.ndarray, min_score: float = MIN_PALM_SCORE
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Palms from the detector's outputs (``raw``: 2016 × 18 box and keypoint offsets in input pixels,
    ``logits``: 2016 scores): (score, box (cx, cy, w, h), keypoints 7 × 2), in [0, 1] of the detector's
    square, best first, overlapping boxes dropped.

    Example:
        >>> raw, logits = np.zeros((2016, 18), np.float32), np.full(2016, -9.0, np.float32)
        >>> raw[0, :4] = (19.2, 0, 38.4, 38.4); logits[0] = 4.0  # anchor 0 sits at (1/48, 1/48)
        >>> [(round(s, 3), [round(float(v), 4) for v in b]) for s, b, _ in decode_palms(raw, logits)]
        [(0.982, [0.1208, 0.0208, 0.2, 0.2])]
    """
    anchors = ssd_anchors()
    scores = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(logits, np.float32).reshape(-1), -100, 100)))
    kept: list[tuple[float, np.ndarray, np.ndarray]] = []
    for i in np.argsort(-scores):
        if scores[i] < min_score:
            break
        offsets = raw[i].reshape(9, 2) / PALM_SIZE
        box = np.concatenate([offsets[0] + anchors[i], offsets[1]])
        if all(_box_iou(box, other) <= NMS_IOU for _, other, _ in kept):
            kept.append((float(scores[i]), box, offsets[2:] + anchors[i]))
    return kept


def hand_square(box: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """The 2×3 affine map from the landmark model's 224² input to the photo, for a palm ``box`` and
    its ``keypoints`` in photo pixels: the square turned so that the wrist (keypoint 0) lies below the
    middle finger's knuckle (keypoint 2), 2.6 × the box's long side, half a box towards the fingers.

    Example:
        >>> upright = hand_square(np.array([100, 100, 20, 20.0]), np.array([[100, 110], [0, 0], [100, 90.0]]))
        >>> (upright @ [112, 112, 1]).round(3).tolist(), (upright @ [0, 0, 1]).round(3).tolist()
        ([100.0, 90.0], [74.0, 64.0])
    """
    (dx, dy), (cx, cy, width, height) = keypoints[2] - keypoints[0], box
    rotation = np.pi / 2 - np.arctan2(-dy, dx)
    cos, sin = np.cos(rotation), np.sin(rotation)
    cx, cy = cx - height * ROI_SHIFT * sin, cy + height * ROI_SHIFT * cos
    k = max(width, height) * ROI_SCALE / LANDMARK_SIZE
    half = LANDMARK_SIZE / 2
    return np.array(
        [[cos * k, -sin * k, cx - (cos - sin) * half * k], [sin * k, cos * k, cy - (sin + cos) * half * k]],
        np.float64,
    )


def hand_silhouette(shape: tuple[int, int], hands: list[np.ndarray]) -> np.ndarray:
    """Boolean H×W mask of the hands drawn from their landmarks (each 21 × 2, photo pixels): the palm
    polygon filled and each finger a stroke :data:`FINGER_WIDTH` × the palm's width.

    Example:
        >>> hand = np.array([[10, 30], [8, 27], [6, 24], [5, 21], [4, 18]] + [[12 + 2 * f, 24 - k * 3] for f in range(4)
        ...     for k in range(4)], np.float32)
        >>> mask = hand_silhouette((40, 30), [hand])
        >>> bool(mask[28, 11]), bool(mask[15, 14]), bool(mask[5, 25])  # palm, a fingertip, background
        (True, True, False)
    """
    mask = np.zeros(shape, np.uint8)
    for points in hands:
        points = np.asarray(points, np.float32)
        palm_width = float(np.linalg.norm(points[5] - points[17]))
        stroke = max(1, round(FINGER_WIDTH * palm_width))
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points[list(PALM)]).astype(np.int32)), 1)
        for finger in FINGERS:
            chain = np.round(points[list(finger)]).astype(np.int32)
            cv2.polylines(mask, [chain], False, 1, thickness=stroke, lineType=cv2.LINE_8)
            for joint in chain:  # rounded knuckles and tips
                cv2.circle(mask, tuple(int(v) for v in joint), stroke // 2, 1, -1)
    return mask.astype(bool)


class HandLandmarker:
    """The hands in an RGB uint8 photo: a list of 21 × 2 landmark arrays in photo pixels, one per hand
    the palm detector finds and the landmark model confirms (presence ≥ :data:`MIN_PRESENCE`). One
    interpreter is not re-entrant: calls are serialised.

    Example:
        >>> hands = HandLandmarker()(rgb)  # doctest: +SKIP
        >>> mask = hand_silhouette(rgb.shape[:2], hands)  # doctest: +SKIP
    """

    def __init__(self, palm: str | Path | None = None, landmarks: str | Path | None = None, threads: int | None = None):
        require("ai_edge_litert", "runtimes", "MediaPipe Hands")
        from ai_edge_litert.interpreter import Interpreter

        self.palm = Interpreter(model_path=str(palm or HAND_MODELS["palm"].weights()), num_threads=threads)
        self.landmarks = Interpreter(
            model_path=str(landmarks or HAND_MODELS["landmarks"].weights()), num_threads=threads
        )
        for interpreter in (self.palm, self.landmarks):
            interpreter.allocate_tensors()
        outputs = {o["name"]: o["index"] for o in self.palm.get_output_details()}
        self._palm_outputs = outputs["Identity"], outputs["Identity_1"]  # 2016×18 offsets, 2016×1 logits
        outputs = {o["name"]: o["index"] for o in self.landmarks.get_output_details()}
        self._landmark_outputs = outputs["Identity"], outputs["Identity_1"]  # 21×3 in 224² pixels, presence
        self._lock = threading.Lock()

    def _run(self, interpreter, x: np.ndarray, outputs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[None].astype(np.float32) / 255.0)
        interpreter.invoke()
        return tuple(interpreter.get_tensor(index)[0].copy() for index in outputs)

    def __call__(self, rgb: np.ndarray) -> list[np.ndarray]:
        rgb = np.asarray(rgb)
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
            raise UsageError(f"hands are found in an RGB uint8 H×W×3 photo, got {rgb.dtype} {rgb.shape}")
        canvas, top, left = letterbox(rgb)
        side = canvas.shape[0]
        square = cv2.resize(canvas, (PALM_SIZE, PALM_SIZE), interpolation=cv2.INTER_AREA)
        offset = np.array([left, top], np.float32)
        hands = []
        with self._lock:
            raw, logits = self._run(self.palm, square, self._palm_outputs)
            for _, box, keypoints in decode_palms(raw, logits):
                box = np.concatenate([box[:2] * side - offset, box[2:] * side])
                to_photo = hand_square(box, keypoints * side - offset)
                crop = cv2.warpAffine(
                    rgb, cv2.invertAffineTransform(to_photo), (LANDMARK_SIZE, LANDMARK_SIZE), flags=cv2.INTER_LINEAR
                )
                points, presence = self._run(self.landmarks, crop, self._landmark_outputs)
                if float(presence.reshape(-1)[0]) >= MIN_PRESENCE:
                    xy = points.reshape(21, 3)[:, :2]
                    hands.append((xy @ to_photo[:, :2].T + to_photo[:, 2]).astype(np.float32))
        return hands
