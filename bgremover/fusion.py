"""The ``best`` tier: the default model's probabilities averaged, pixel by pixel, with a permissive
peer's — rembg's U²-Net (full, Apache-2.0) — whose errors lie elsewhere (it keeps raised hands and
drops chairs' neighbours less often; the default keeps bystanders and drops fewer salient objects).

The peer's weights (176 MB) are fetched once from rembg's public release and checked by sha256;
offline machines put ``u2net.onnx`` in ``$BGREMOVER_WEIGHTS_DIR/peers/``. The fusion settings travel
beside the tier's card in ``pretrained/bgremover-best/config.json``.

Example:
    >>> from bgremover import load_model
    >>> best = load_model("best")  # doctest: +SKIP
    >>> alpha = best.predict("photo.jpg")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bgremover.errors import UsageError
from bgremover.extras import require
from bgremover.inference import Segmenter, load_segmenter
from bgremover.pretrained import PRETRAINED
from bgremover.refine import refine_alpha
from bgremover.subjects import select_subjects
from bgremover.weights import verified_download

U2NET_FILE = "u2net.onnx"
U2NET_URL = "https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net.onnx"
U2NET_SHA256 = "8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491"
U2NET_SIZE = 320  # rembg's recipe: 320² LANCZOS, divided by the max, ImageNet mean/std, min-max output
IMAGENET_MEAN = np.asarray((0.485, 0.456, 0.406), np.float32)
IMAGENET_STD = np.asarray((0.229, 0.224, 0.225), np.float32)


class U2Net:
    """rembg's U²-Net (full) through ONNX Runtime: RGB uint8 H×W×3 → float32 H×W in [0, 1], as rembg
    computes it (min-max normalised), resized back to the photo."""

    def __init__(self, path: str | Path | None = None, threads: int | None = None):
        ort = require("onnxruntime", "runtimes", "the best tier's U²-Net peer")

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        path = path or verified_download(U2NET_FILE, U2NET_URL, U2NET_SHA256)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        image = cv2.resize(rgb, (U2NET_SIZE, U2NET_SIZE), interpolation=cv2.INTER_LANCZOS4).astype(np.float32)
        image = (image / max(float(image.max()), 1e-6) - IMAGENET_MEAN) / IMAGENET_STD
        out = self.session.run(None, {self.input_name: image.transpose(2, 0, 1)[None]})[0][0, 0]
        out = (out - out.min()) / max(float(out.max() - out.min()), 1e-8)
        return np.clip(cv2.resize(out, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


@dataclass(frozen=True)
class FusionConfig:
    """How the ``best`` tier fuses: ``weight`` of the base model (the peer gets ``1 - weight``), the base
    run with flip TTA or not; chosen on the validation photos (``bgremover fusion-search``)."""

    base: str = "default"
    weight: float = 0.5
    flip: bool = True

    @classmethod
    def load(cls, folder: Path = PRETRAINED["best"].folder) -> FusionConfig:
        return cls(**json.loads((folder / "config.json").read_text())["fusion"])


class FusedSegmenter(Segmenter):
    """A :class:`Segmenter` whose alpha is ``weight`` × the base network's probability (with flip TTA
    when ``flip``) + (1 − ``weight``) × the peer's; the main-subject rule and refinement run on the
    fused map. Everything else (sizes, limits, video) is the base segmenter's."""

    def __init__(self, base: Segmenter, peer, weight: float, flip: bool = True):
        super().__init__(base.network, base.device, base.working_size, base._max_pixels, base.square)
        if not 0.0 <= weight <= 1.0:
            raise UsageError(f"the fusion weight must lie in [0, 1], got {weight}")
        self.peer, self.weight, self.flip = peer, weight, flip
        self._peer_lock = threading.Lock()  # one ONNX Runtime session, called from several threads

    def peer_alpha(self, rgb: np.ndarray) -> np.ndarray:
        with self._peer_lock:
            return self.peer(rgb)

    def _predict_arrays(
        self, rgbs: list[np.ndarray], tta: bool, scales: Sequence[float], refine: bool, subject: str
    ) -> list[np.ndarray]:
        bases = super()._predict_arrays(rgbs, tta or self.flip, scales, False, "all")
        alphas = []
        for rgb, base in zip(rgbs, bases, strict=True):
            fused = self.weight * base + (1.0 - self.weight) * self.peer_alpha(rgb)
            fused = select_subjects(fused.astype(np.float32), subject)
            alphas.append(refine_alpha(rgb, fused) if refine else fused)
        return alphas


def load_fused(folder: str | Path, peer_path: str | Path | None = None, **base_options) -> FusedSegmenter:
    """A fused tier from its folder's ``config.json`` (``"best"``: ``pretrained/bgremover-best``): the
    configured base model (:func:`~bgremover.inference.load_segmenter` with ``base_options``) fused with
    :class:`U2Net` (``peer_path``, else the verified download)."""
    config = FusionConfig.load(Path(folder))
    return FusedSegmenter(load_segmenter(config.base, **base_options), U2Net(peer_path), config.weight, config.flip)
