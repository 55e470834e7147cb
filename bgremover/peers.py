"""Permissive peer models the fused tiers average with (:mod:`bgremover.fusion`): rembg's U²-Net (full)
and MediaPipe Selfie. Each is an RGB uint8 H×W×3 → float32 person probability in [0, 1] at the photo's
size (or at ``size``, w × h, the fused tier's network resolution), computed as its own project computes
it.

Their weights are fetched once from their public source and checked by sha256
(:func:`~bgremover.weights.verified_download`); an offline machine puts the file in
``$BGREMOVER_WEIGHTS_DIR/peers/``.

Example:
    >>> from bgremover.peers import PEERS
    >>> sorted(PEERS)
    ['selfie', 'u2net']
    >>> PEERS["selfie"].file_name
    'mediapipe_selfie_segmentation.tflite'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bgremover.constants import AUTO, BACKENDS, PRECISIONS
from bgremover.errors import UsageError
from bgremover.extras import require
from bgremover.weights import PinnedFile

U2NET_SIZE = 320  # rembg's recipe: 320² LANCZOS, divided by the max, ImageNet mean/std, min-max output
SELFIE_SIZE = 256  # MediaPipe Selfie: 1×256×256×3 RGB in [0, 1] → 1×256×256×1 probability
IMAGENET_MEAN = np.asarray((0.485, 0.456, 0.406), np.float32)
IMAGENET_STD = np.asarray((0.229, 0.224, 0.225), np.float32)


def resized(prob: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A peer's float32 probability map at ``size`` (w, h), bilinear, clipped to [0, 1]."""
    out = prob if prob.shape[::-1] == tuple(size) else cv2.resize(prob, tuple(size), interpolation=cv2.INTER_LINEAR)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


@dataclass(frozen=True)
class PeerSpec(PinnedFile):
    """A peer's pinned weights file (:class:`~bgremover.weights.PinnedFile`), its display ``title`` and
    the class that runs it."""

    name: str
    title: str
    runner: Callable[..., Callable[[np.ndarray], np.ndarray]]


class U2Net:
    """rembg's U²-Net (full, 176 MB, Apache-2.0) on rembg's recipe (min-max normalised), resized back to
    the photo, run by ``backend``: ``"onnx"`` (ONNX Runtime, as rembg runs it), ``"openvino"`` (the same
    file in OpenVINO, bf16 where the CPU has it) or ``"auto"`` (:func:`peer_runtime`)."""

    def __init__(self, path: str | Path | None = None, threads: int | None = None, backend: str = AUTO):
        from bgremover.runtimes import EXPORTED_BACKENDS, RUNTIME_PACKAGES

        self.backend = peer_runtime(backend)
        require(RUNTIME_PACKAGES[self.backend], "runtimes", "the U²-Net peer")
        self.network = EXPORTED_BACKENDS[self.backend](path or PEERS["u2net"].weights(), threads)

    def __call__(self, rgb: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        image = cv2.resize(rgb, (U2NET_SIZE, U2NET_SIZE), interpolation=cv2.INTER_LANCZOS4).astype(np.float32)
        image = (image / max(float(image.max()), 1e-6) - IMAGENET_MEAN) / IMAGENET_STD
        out = self.network(np.ascontiguousarray(image.transpose(2, 0, 1)[None]))[0]
        return resized((out - out.min()) / max(float(out.max() - out.min()), 1e-8), size or rgb.shape[1::-1])


class SelfieSegmenter:
    """MediaPipe Selfie (general model, 250 kB, Apache-2.0) through LiteRT (``ai-edge-litert``): the
    photo resized to 256² (area), RGB in [0, 1], the probability resized back. One interpreter is not
    re-entrant: calls are serialised. LiteRT is its only runtime: ``backend`` is accepted and not used."""

    def __init__(self, path: str | Path | None = None, threads: int | None = None, backend: str = AUTO):
        require("ai_edge_litert", "runtimes", "the MediaPipe Selfie peer")
        from ai_edge_litert.interpreter import Interpreter

        path = path or PEERS["selfie"].weights()
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    def __call__(self, rgb: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        x = cv2.resize(rgb, (SELFIE_SIZE, SELFIE_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        with self._lock:
            self.interpreter.set_tensor(self.input, x[None])
            self.interpreter.invoke()
            prob = self.interpreter.get_tensor(self.output)[0, ..., 0].copy()
        return resized(prob, size or rgb.shape[1::-1])


PEERS: dict[str, PeerSpec] = {
    spec.name: spec
    for spec in (
        PeerSpec(
            "u2net.onnx",
            "https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net.onnx",
            "8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491",
            name="u2net",
            title="rembg U²-Net (full)",
            runner=U2Net,
        ),
        PeerSpec(
            "mediapipe_selfie_segmentation.tflite",
            # MediaPipe's own pinned asset (third_party/external_files.bzl: same sha256)
            "https://storage.googleapis.com/mediapipe-assets/selfie_segmentation.tflite?generation=1683332563830600",
            "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
            name="selfie",
            title="MediaPipe Selfie",
            runner=SelfieSegmenter,
        ),
    )
}


def peer_spec(name: str) -> PeerSpec:
    """The entry ``name`` of :data:`PEERS`; a :class:`~bgremover.errors.UsageError` naming the peers otherwise."""
    if name not in PEERS:
        raise UsageError(f"no peer model is called {name!r}: {', '.join(sorted(PEERS))}")
    return PEERS[name]


def peer_runtime(backend: str = AUTO, precision: str = "default") -> str:
    """The runtime a peer's ONNX file runs on: ``backend`` where it names an exported runtime, else what
    ``auto`` gives a model on this CPU (:func:`~bgremover.runtimes.choose_runtime`): OpenVINO where the
    CPU runs bf16 natively, ONNX Runtime elsewhere, for ``precision="f32"`` and beside a network on a GPU.

    Example:
        >>> peer_runtime("openvino"), peer_runtime("torch", precision="f32")
        ('openvino', 'onnx')
    """
    from bgremover.runtimes import EXPORTED_BACKENDS, fastest_cpu_runtime

    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise UsageError(f"unknown precision {precision!r}: one of {', '.join(PRECISIONS)}")
    if backend in EXPORTED_BACKENDS:
        return backend
    runtime = fastest_cpu_runtime("f32" if precision == "f32" else "default")
    return runtime if runtime in EXPORTED_BACKENDS else "onnx"  # without the runtimes extra: onnx asks for it


def load_peer(
    name: str,
    path: str | Path | None = None,
    threads: int | None = None,
    backend: str = AUTO,
    precision: str = "default",
):
    """The peer ``name`` (:data:`PEERS`) ready to call: weights from ``path``, else the checked download;
    run where :func:`peer_runtime` says for ``backend`` and ``precision``."""
    return peer_spec(name).runner(path, threads=threads, backend=peer_runtime(backend, precision))
