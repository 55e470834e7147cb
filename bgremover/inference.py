"""``Segmenter``: full-resolution alpha from any image, with test-time augmentation and refinement."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from bgremover import settings
from bgremover.constants import (
    BACKENDS,
    DEFAULT_SUBJECT,
    PRECISIONS,
    SINGLE_SCALE,
    SUBJECTS,
    WORKING_SIZE,
)
from bgremover.errors import UsageError
from bgremover.frames import predict_frames
from bgremover.hub import load_network, run_config
from bgremover.imageops import merge_flip, network_size, resize_for_network
from bgremover.io import ImageSource, read_image
from bgremover.options import parse_upsample
from bgremover.refine import guided_upsample, refine_alpha
from bgremover.run_config import RunConfig
from bgremover.runtimes import (
    EXPORTED_BACKENDS,
    FixedSizeNetwork,
    OnnxNetwork,
    OpenVinoNetwork,
    onnx_file,
    require_runtime,
    resolve_backend,
    runs_int8_file,
)
from bgremover.subjects import select_subjects
from bgremover.video_io import read_frames

if TYPE_CHECKING:  # torch is imported only where a PyTorch network runs: the exported runtimes start without it
    import torch
    from torch import nn

MIN_SCALE, MAX_SCALE = 0.1, 4.0  # multi-scale TTA: the network sees 0.1× to 4× its working size


def is_torch_module(network) -> bool:
    """Whether ``network`` is a PyTorch module (asked without importing torch: a module exists only once
    torch is imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(network, torch.nn.Module)


class Segmenter:
    """Runs a person-segmentation network on images of any size.

    The network sees the image with its long side at ``working_size`` × scale (``square=True``:
    resized to that size squared whatever its aspect); the probability map is averaged over the
    test-time augmentations and brought back to the input's resolution (``upsample``: ``"bilinear"``
    resizing, or ``"guided"`` along the photo's own edges, :func:`~bgremover.refine.guided_upsample`).

    Example:
        >>> from bgremover import load_model
        >>> seg = load_model()  # doctest: +SKIP
        >>> alpha = seg.predict("photo.jpg", tta=True)  # doctest: +SKIP
    """

    scales: tuple[float, ...] = SINGLE_SCALE  # what a call that names no scales runs (a fused tier: its config's)

    def __init__(
        self,
        network: nn.Module | OnnxNetwork | OpenVinoNetwork,
        device: str | torch.device | None = None,
        working_size: int = WORKING_SIZE,
        max_pixels: int | None = None,
        square: bool = False,
        upsample: str = "bilinear",
        flip_shift: float = 0.0,
    ):
        self.upsample = parse_upsample(upsample) or "bilinear"
        self.flip_shift = flip_shift
        self.network = network
        # what each network call (a fused tier's peer's too) runs under: a threading.Lock keeps the cores to
        # one call at a time while other threads read, render and write photos (bgremover.batch.cut_files)
        self.network_lock = contextlib.nullcontext()
        self.device = "cpu"  # an exported graph runs on the CPU
        if is_torch_module(network):
            import torch

            self.device = str(torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu")))
            self.network = network.eval().to(self.device)
            if self.on_gpu:
                self.network = self.network.to(memory_format=torch.channels_last)
        self.working_size = working_size
        self._max_pixels = max_pixels
        self.square = square

    @property
    def on_gpu(self) -> bool:
        """Whether the network runs on a CUDA GPU (:attr:`device`, a torch device string: ``"cpu"``,
        ``"cuda"``, ``"cuda:1"``)."""
        return self.device.startswith("cuda")

    @property
    def max_pixels(self) -> int:
        """Largest image accepted (``BGREMOVER_MAX_PIXELS`` unless set here)."""
        return self._max_pixels or settings.max_pixels()

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities (N, H, W) for a float32 (N, 3, H, W) batch in [0, 1]."""
        if not is_torch_module(self.network):  # an exported graph: probabilities already
            with self.network_lock:
                return self.network(batch)
        import torch

        cuda = self.on_gpu  # half precision and channels-last on a GPU
        with self.network_lock, torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=cuda):
            images = torch.from_numpy(batch).to(self.device)
            logits = self.network(images.contiguous(memory_format=torch.channels_last) if cuda else images)
            return torch.sigmoid(logits.float())[:, 0].cpu().numpy()

    def _probabilities(self, images: list[np.ndarray], flip: bool) -> list[np.ndarray]:
        """Network probabilities for same-size RGB uint8 images; ``flip``: merged with the mirrored
        pass, moved :attr:`flip_shift` network pixels right (:func:`~bgremover.imageops.merge_flip`)."""
        batch = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        prob = self._forward(batch)
        if flip:
            prob = merge_flip(prob, self._forward(np.ascontiguousarray(batch[..., ::-1]))[..., ::-1], self.flip_shift)
        return list(prob)

    def predict(
        self,
        image: ImageSource | Sequence[ImageSource],
        tta: bool = False,
        scales: Sequence[float] | None = None,
        refine: bool = False,
        subject: str = DEFAULT_SUBJECT,
        upsample: str | None = None,
    ) -> np.ndarray | list[np.ndarray]:
        """Float32 alpha (H×W in [0, 1]) at the input's resolution; a list in gives a list out.

        ``tta``: merged with the mirror image's pass (:func:`~bgremover.imageops.merge_flip`). ``scales``:
        working sizes as multiples of ``working_size`` (e.g. ``(0.75, 1.0, 1.25)``), averaged; ``None``: the model's own
        (:attr:`scales`: 1 alone, a fused tier's configured scales). ``refine``: guided
        filter on the edge band, guided by the full-resolution image. ``subject``: ``"main"``
        (default) keeps only the main subject(s), ``"all"`` every person (:mod:`bgremover.subjects`).
        ``upsample``: ``"bilinear"`` or ``"guided"``; ``None``: the model's own (:attr:`upsample`).
        """
        if subject not in SUBJECTS:
            raise UsageError(f"subject must be one of {', '.join(SUBJECTS)}, got {subject!r}")
        upsample = parse_upsample(upsample) or self.upsample
        if isinstance(image, list | tuple):
            rgbs = [read_image(item, self.max_pixels) for item in image]
        else:
            rgbs = [read_image(image, self.max_pixels)]
        alphas = self._predict_arrays(rgbs, tta, scales, refine, subject, upsample)
        return alphas if isinstance(image, list | tuple) else alphas[0]

    def predict_video(
        self,
        source: str | os.PathLike,
        batch_size: int = 4,
        stabilize: bool = False,
        subject: str = DEFAULT_SUBJECT,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(RGB frame, alpha) for every frame of a video file, decoded and segmented as it streams
        (``batch_size`` frames per network call; ``stabilize``: :mod:`bgremover.temporal`).

        Example:
            >>> for frame, alpha in load_model("fast").predict_video("clip.mp4"):  # doctest: +SKIP
            ...     print(alpha.mean())
        """
        frames = (rgb for rgb, _ in read_frames(source, self.max_pixels))
        return predict_frames(self, frames, batch_size, stabilize, subject)

    def _predict_arrays(
        self,
        rgbs: list[np.ndarray],
        tta: bool,
        scales: Sequence[float] | None,
        refine: bool,
        subject: str,
        upsample: str,
    ) -> list[np.ndarray]:
        alphas = []
        for rgb, (prob, seen) in zip(rgbs, self._network_maps(rgbs, tta, scales), strict=True):
            # the main subject is chosen at the network's resolution, a fraction of the photo's pixels:
            # 0.8 ms instead of 5.6 ms on a 480p frame with a dozen people, fast tier (benchmarks/stages.py)
            alpha = self.to_photo(rgb, select_subjects(prob, subject), seen, upsample)
            alphas.append(refine_alpha(rgb, alpha) if refine else alpha)
        return alphas

    def to_photo(
        self, rgb: np.ndarray, prob: np.ndarray, seen: np.ndarray | None = None, upsample: str | None = None
    ) -> np.ndarray:
        """``prob``, a map at the network's resolution, brought to ``rgb``'s size as :meth:`predict`
        brings it (``upsample``, ``None``: :attr:`upsample`; ``seen``: the photo as the network saw it,
        the guide's source if given)."""
        if (parse_upsample(upsample) or self.upsample) == "guided":
            return guided_upsample(rgb, prob, small=seen)
        alpha = cv2.resize(prob, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        return np.clip(alpha, 0.0, 1.0, out=alpha)  # in place: a photo-size copy costs its page faults

    def _network_maps(
        self, rgbs: list[np.ndarray], tta: bool, scales: Sequence[float] | None
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Each photo's person probability averaged over ``scales`` (``None``: :attr:`scales`; and the
        mirror image with ``tta``), at the network's resolution for scale 1
        (:func:`~bgremover.imageops.network_size`), with the photo as the network saw it at that
        size (``None`` where no scale was 1)."""
        scales = self.scales if scales is None else scales
        if not scales:
            raise UsageError("scales must name at least one scale")
        for scale in scales:
            if not isinstance(scale, int | float) or not MIN_SCALE <= scale <= MAX_SCALE:
                raise UsageError(
                    f"each scale must be a number from {MIN_SCALE} to {MAX_SCALE} (times the working size),"
                    f" got {scale!r}"
                )
        base = [network_size(*rgb.shape[:2], self.working_size, self.square) for rgb in rgbs]  # (w, h)
        sums = [np.zeros(size[::-1], np.float32) for size in base]
        seen: list[np.ndarray | None] = [None] * len(rgbs)
        for scale in scales:
            scaled = [resize_for_network(rgb, round(self.working_size * scale), self.square) for rgb in rgbs]
            if scale == 1:
                seen = scaled
            groups: dict[tuple[int, ...], list[int]] = {}
            for i, img in enumerate(scaled):
                groups.setdefault(img.shape, []).append(i)
            for indices in groups.values():
                probs = self._probabilities([scaled[i] for i in indices], tta)
                for i, prob in zip(indices, probs, strict=True):
                    same = prob.shape[::-1] == base[i]
                    sums[i] += prob if same else cv2.resize(prob, base[i], interpolation=cv2.INTER_LINEAR)
        return [(np.clip(total / len(scales), 0.0, 1.0), small) for total, small in zip(sums, seen, strict=True)]


def run_settings(source: str | os.PathLike | None) -> tuple[int, str, bool]:
    """(working size, backend, square) a model runs with by default: its config.json's run block
    (:class:`~bgremover.run_config.RunConfig`); a bare ``.onnx`` file: 512 px long side."""
    run = RunConfig() if str(source).endswith(".onnx") else run_config(source)
    return run.working_size, resolve_backend(run.backend, run.precision), run.square


def load_segmenter(
    source: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    working_size: int | None = None,
    backend: str | None = None,
    square: bool | None = None,
    precision: str | None = None,
    upsample: str | None = None,
) -> Segmenter:
    """A :class:`Segmenter` for a network ``source`` (anything :func:`bgremover.load_model` takes but
    the fused tiers); the arguments are :func:`bgremover.load_model`'s."""
    if device is not None:
        import torch

        try:
            torch.device(device)
        except (RuntimeError, TypeError):
            raise UsageError(f"unknown device {device!r}: cpu, cuda, cuda:N or mps") from None
    if backend is not None and backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"unknown precision {precision!r}: one of {', '.join(PRECISIONS)}")
    bare_file = source is not None and str(source).endswith(".onnx")
    run = RunConfig() if bare_file else run_config(source)
    precision = precision or run.precision
    sizing = dict(
        working_size=working_size or run.working_size,
        square=run.square if square is None else square,
        upsample=upsample or run.upsample,
        flip_shift=run.flip_shift,
    )
    backend = resolve_backend(backend or run.backend, precision)
    if bare_file and Path(source).is_file():
        runtime = EXPORTED_BACKENDS.get(backend, OnnxNetwork)  # a file runs on onnxruntime unless told otherwise
        return Segmenter(runtime(source), device="cpu", **sizing)
    if (int8 := runs_int8_file(source, backend, precision)) is not None:
        network = FixedSizeNetwork(int8, lambda: OpenVinoNetwork(onnx_file(source)))
        return Segmenter(network, device="cpu", **sizing)
    if backend in EXPORTED_BACKENDS:
        require_runtime(backend)  # before the export, which needs the same extra
        return Segmenter(EXPORTED_BACKENDS[backend](onnx_file(source)), device="cpu", **sizing)
    return Segmenter(load_network(source), device=device, **sizing)
