"""``Segmenter``: full-resolution alpha from any image, with test-time augmentation and refinement."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from bgremover import settings
from bgremover.constants import (
    AUTO,
    BACKENDS,
    BEST_MODEL,
    DEFAULT_SUBJECT,
    INT8_FILE,
    PRECISIONS,
    SUBJECTS,
    WORKING_SIZE,
)
from bgremover.errors import UsageError
from bgremover.hub import load_network, run_config
from bgremover.imageops import network_size, resize_for_network
from bgremover.io import ImageSource, read_image
from bgremover.refine import refine_alpha
from bgremover.run_config import RunConfig
from bgremover.subjects import select_subjects

MIN_SCALE, MAX_SCALE = 0.1, 4.0  # multi-scale TTA: the network sees 0.1× to 4× its working size


class Segmenter:
    """Runs a person-segmentation network on images of any size.

    The network sees the image with its long side at ``working_size`` × scale (``square=True``:
    resized to that size squared whatever its aspect); the probability map is averaged over the
    test-time augmentations and resized back to the input's resolution.

    Example:
        >>> from bgremover import load_model
        >>> seg = load_model()  # doctest: +SKIP
        >>> alpha = seg.predict("photo.jpg", tta=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        network: nn.Module | OnnxNetwork | OpenVinoNetwork,
        device: str | torch.device | None = None,
        working_size: int = WORKING_SIZE,
        max_pixels: int | None = None,
        square: bool = False,
    ):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.network = network.eval().to(self.device) if isinstance(network, nn.Module) else network
        if isinstance(network, nn.Module) and self.device.type == "cuda":
            self.network = self.network.to(memory_format=torch.channels_last)
        self.working_size = working_size
        self._max_pixels = max_pixels
        self.square = square

    @property
    def max_pixels(self) -> int:
        """Largest image accepted (``BGREMOVER_MAX_PIXELS`` unless set here)."""
        return self._max_pixels or settings.max_pixels()

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities (N, H, W) for a float32 (N, 3, H, W) batch in [0, 1]."""
        if not isinstance(self.network, nn.Module):  # an exported graph: probabilities already
            return self.network(batch)
        cuda = self.device.type == "cuda"  # half precision and channels-last on a GPU
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=cuda):
            images = torch.from_numpy(batch).to(self.device)
            logits = self.network(images.contiguous(memory_format=torch.channels_last) if cuda else images)
            return torch.sigmoid(logits.float())[:, 0].cpu().numpy()

    def _probabilities(self, images: list[np.ndarray], flip: bool) -> list[np.ndarray]:
        """Network probabilities for same-size RGB uint8 images, optionally flip-averaged."""
        batch = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        prob = self._forward(batch)
        if flip:
            prob = (prob + self._forward(np.ascontiguousarray(batch[..., ::-1]))[..., ::-1]) / 2
        return list(prob)

    def predict(
        self,
        image: ImageSource | Sequence[ImageSource],
        tta: bool = False,
        scales: Sequence[float] = (1.0,),
        refine: bool = False,
        subject: str = DEFAULT_SUBJECT,
    ) -> np.ndarray | list[np.ndarray]:
        """Float32 alpha (H×W in [0, 1]) at the input's resolution; a list in gives a list out.

        ``tta``: average with the horizontally flipped image. ``scales``: working sizes as
        multiples of ``working_size`` (e.g. ``(0.75, 1.0, 1.25)``), averaged. ``refine``: guided
        filter on the edge band, guided by the full-resolution image. ``subject``: ``"main"``
        (default) keeps only the main subject(s), ``"all"`` every person (:mod:`bgremover.subjects`).
        """
        if subject not in SUBJECTS:
            raise UsageError(f"subject must be one of {', '.join(SUBJECTS)}, got {subject!r}")
        if isinstance(image, list | tuple):
            rgbs = [read_image(item, self.max_pixels) for item in image]
        else:
            rgbs = [read_image(image, self.max_pixels)]
        alphas = self._predict_arrays(rgbs, tta, scales, refine, subject)
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
        from bgremover.video import predict_frames, read_frames

        frames = (rgb for rgb, _ in read_frames(source, self.max_pixels))
        return predict_frames(self, frames, batch_size, stabilize, subject)

    def _predict_arrays(
        self, rgbs: list[np.ndarray], tta: bool, scales: Sequence[float], refine: bool, subject: str
    ) -> list[np.ndarray]:
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
        for scale in scales:
            scaled = [resize_for_network(rgb, round(self.working_size * scale), self.square) for rgb in rgbs]
            groups: dict[tuple[int, ...], list[int]] = {}
            for i, img in enumerate(scaled):
                groups.setdefault(img.shape, []).append(i)
            for indices in groups.values():
                probs = self._probabilities([scaled[i] for i in indices], tta)
                for i, prob in zip(indices, probs, strict=True):
                    same = prob.shape[::-1] == base[i]
                    sums[i] += prob if same else cv2.resize(prob, base[i], interpolation=cv2.INTER_LINEAR)
        alphas = []
        for rgb, total in zip(rgbs, sums, strict=True):
            # the main subject is chosen at the network's resolution, a fraction of the photo's pixels:
            # 0.8 ms instead of 5.6 ms on a 480p frame with a dozen people, fast tier (benchmarks/stages.py)
            prob = select_subjects(np.clip(total / len(scales), 0.0, 1.0), subject)
            alpha = cv2.resize(prob, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR)
            np.clip(alpha, 0.0, 1.0, out=alpha)  # in place: a photo-size copy costs its page faults
            alphas.append(refine_alpha(rgb, alpha) if refine else alpha)
        return alphas


class OnnxNetwork:
    """An exported model (see :func:`bgremover.deploy.export.export_onnx`) run by onnxruntime."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"image": batch})[0][:, 0]


class OpenVinoNetwork:
    """An exported model run by OpenVINO on the CPU at its default precision (bf16 on CPUs that have
    it: about half onnxruntime's latency here, IoU within 0.002; see ``benchmarks/runtimes.py``)."""

    def __init__(self, model, threads: int | None = None, precision: str | None = None):
        """``model``: a model file's path, or an ``openvino.Model`` already read (e.g. reshaped)."""
        import openvino as ov

        config = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
        model = model if isinstance(model, ov.Model) else str(model)
        self.compiled = ov.Core().compile_model(model, "CPU", config)
        self._local = threading.local()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities for ``batch``; each thread infers through its own request (one request
        serves one call at a time, and a server calls the network from several threads)."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        return np.array(request.infer({0: batch})[0][:, 0])


class FixedSizeNetwork:
    """An int8 OpenVINO model compiled for one input height and width
    (:mod:`bgremover.deploy.openvino_int8`), with ``fallback`` (built on first need) running every other
    size unquantized: multi-scale TTA, a caller's own working size.

    Example:
        >>> net = FixedSizeNetwork("fast/openvino_int8.xml", lambda: OpenVinoNetwork("fast.onnx"))  # doctest: +SKIP
        >>> net.size  # doctest: +SKIP
        (256, 256)
    """

    def __init__(self, path: str | os.PathLike, fallback: Callable[[], OpenVinoNetwork], threads: int | None = None):
        import openvino as ov

        model = ov.Core().read_model(str(path))
        shape = model.input(0).get_partial_shape()
        if shape[2].is_dynamic or shape[3].is_dynamic:
            raise UsageError(f"{path}: an int8 model for FixedSizeNetwork needs a fixed height and width, got {shape}")
        self.size = (shape[2].get_length(), shape[3].get_length())
        # compiled for batch 1, a batch run image by image: p50 12.7 ms against 19.9 ms with the batch
        # left dynamic (the fast tier at 256², 2 threads, AMD EPYC, 2026-12-02; benchmarks/runtimes.py)
        model.reshape([1, 3, *self.size])
        self.int8 = OpenVinoNetwork(model, threads)
        self._make_fallback, self._fallback = fallback, None
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if batch.shape[2:] == self.size:
            return np.concatenate([self.int8(batch[i : i + 1]) for i in range(len(batch))])
        with self._lock:
            if self._fallback is None:
                self._fallback = self._make_fallback()
        return self._fallback(batch)


EXPORTED_BACKENDS = {"onnx": OnnxNetwork, "openvino": OpenVinoNetwork}


def choose_runtime(precision: str, cuda: bool, openvino: bool, openvino_bf16: bool) -> str:
    """The runtime ``backend="auto"`` takes on a machine with (or without) a CUDA GPU, OpenVINO and a
    CPU on which OpenVINO runs bf16 natively (AVX-512-BF16 or AMX).

    A CUDA GPU: ``"torch"`` on the GPU (half precision, channels-last), for every precision — a
    model's int8 file is a CPU format. Otherwise the fastest exported CPU runtime: ``"openvino"``
    where it runs bf16 natively (a fifth to a half of ONNX Runtime's latency), else ``"onnx"``
    (OpenVINO in fp32 is no faster); ``precision="f32"``: ``"onnx"``, the exact fp32 runtime;
    ``precision="int8"``: ``"openvino"`` wherever it is installed.

    Example:
        >>> choose_runtime("default", cuda=True, openvino=True, openvino_bf16=True)
        'torch'
        >>> choose_runtime("default", cuda=False, openvino=True, openvino_bf16=False)
        'onnx'
        >>> choose_runtime("int8", cuda=False, openvino=True, openvino_bf16=False)
        'openvino'
    """
    if cuda:
        return "torch"
    if precision == "f32" or not openvino:
        return "onnx"
    if precision == "int8":
        return "openvino"
    return "openvino" if openvino_bf16 else "onnx"


@lru_cache(maxsize=1)
def _openvino_support() -> tuple[bool, bool]:
    """(OpenVINO installed, it runs bf16 natively on this CPU)."""
    try:
        import openvino as ov
    except ImportError:
        return False, False
    return True, "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def fastest_cpu_runtime(precision: str = "default") -> str:
    """:func:`choose_runtime` on this machine's CPU, GPU or not (``benchmarks/runtimes.py`` measures it)."""
    return choose_runtime(precision, False, *_openvino_support())


def resolve_backend(backend: str, precision: str = "default") -> str:
    """``backend`` with ``"auto"`` replaced by :func:`choose_runtime` on this machine (a CUDA GPU where
    torch sees one)."""
    if backend != AUTO:
        return backend
    return choose_runtime(precision, torch.cuda.is_available(), *_openvino_support())


def onnx_file(source: str | os.PathLike | None) -> Path:
    """The model's ONNX file: ``model.onnx`` in its folder, else exported once into the cache (named
    by the source and, for a local folder, its weights' size and time, so a retrained model re-exports)."""
    from bgremover.deploy.export import export_onnx
    from bgremover.hub import resolve_source

    resolved = resolve_source(source)
    folder = Path(resolved)
    if (folder / "model.onnx").is_file():
        return folder / "model.onnx"
    cache = settings.cache_dir() / "onnx"
    weights = folder / "model.safetensors"
    stamp = f"-{weights.stat().st_size}-{weights.stat().st_mtime_ns}" if weights.is_file() else ""
    target = cache / (resolved.replace("/", "--").strip("-") + stamp + ".onnx")
    if not target.is_file():
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        export_onnx(resolved, tmp)
        os.replace(tmp, target)
    return target


def int8_file(source: str | os.PathLike | None) -> Path | None:
    """The model's int8 OpenVINO file (``INT8_FILE`` and its ``.bin``) if it ships one, else ``None``."""
    from bgremover.hub import resolve_source

    resolved = resolve_source(source)
    folder = Path(resolved)
    if folder.is_dir():
        return folder / INT8_FILE if (folder / INT8_FILE).is_file() else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        xml = hf_hub_download(resolved, INT8_FILE)
        hf_hub_download(resolved, str(Path(INT8_FILE).with_suffix(".bin")))
    except EntryNotFoundError:
        return None
    return Path(xml)


def runs_int8_file(source: str | os.PathLike | None, backend: str, precision: str) -> Path | None:
    """The int8 file ``source`` runs with under the resolved ``backend`` and ``precision``, if any:
    ``"openvino"`` at ``"int8"`` with a model that ships one (:func:`int8_file`)."""
    if backend != "openvino" or precision != "int8" or str(source).endswith(".onnx"):
        return None
    return int8_file(source)


def run_settings(source: str | os.PathLike | None) -> tuple[int, str, bool]:
    """(working size, backend, square) a model runs with by default: its config.json's run block
    (:class:`~bgremover.run_config.RunConfig`); a bare ``.onnx`` file: 512 px long side."""
    run = RunConfig() if str(source).endswith(".onnx") else run_config(source)
    return run.working_size, resolve_backend(run.backend, run.precision), run.square


def load_model(
    source: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    working_size: int | None = None,
    backend: str | None = None,
    square: bool | None = None,
    precision: str | None = None,
) -> Segmenter:
    """A :class:`Segmenter` for ``source``: ``None``/"default" (the committed model), "fast", "best"
    (the default fused with rembg's U²-Net, :mod:`bgremover.fusion`; its peer's 176 MB fetched once),
    a local ``save_pretrained`` folder, or a Hugging Face Hub repo id (cache and
    ``HF_HUB_OFFLINE`` respected). CUDA is used when present unless ``device`` says otherwise.
    ``backend="onnx"`` runs the exported graph with onnxruntime (CPU), ``"openvino"`` with OpenVINO
    (CPU), ``"auto"`` with whichever is faster on this CPU (:func:`fastest_cpu_runtime`); a path to
    a ``.onnx`` file (e.g. an int8 model from ``bgremover export onnx --int8``) selects it directly
    (onnxruntime unless ``backend="openvino"``).
    ``working_size``, ``backend`` and ``square`` default to the model's run block
    (:func:`run_settings`; ``"fast"``: 256², ``"auto"``), so a copied folder runs as its card says.
    ``precision`` (default: the run block's): ``"int8"`` runs the folder's int8 OpenVINO file
    (:data:`~bgremover.constants.INT8_FILE`, if it has one) for its input size under the ``"openvino"``
    and ``"auto"`` backends; ``"default"`` or ``"f32"`` run the unquantized network.
    """
    if device is not None:
        try:
            torch.device(device)
        except (RuntimeError, TypeError):
            raise UsageError(f"unknown device {device!r}: cpu, cuda, cuda:N or mps") from None
    if source == BEST_MODEL:
        from bgremover.fusion import load_best

        options = dict(device=device, working_size=working_size, backend=backend, square=square, precision=precision)
        return load_best(**options)
    if backend is not None and backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"unknown precision {precision!r}: one of {', '.join(PRECISIONS)}")
    bare_file = source is not None and str(source).endswith(".onnx")
    run = RunConfig() if bare_file else run_config(source)
    precision = precision or run.precision
    sizing = dict(working_size=working_size or run.working_size, square=run.square if square is None else square)
    backend = resolve_backend(backend or run.backend, precision)
    if bare_file and Path(source).is_file():
        runtime = EXPORTED_BACKENDS.get(backend, OnnxNetwork)  # a file runs on onnxruntime unless told otherwise
        return Segmenter(runtime(source), device="cpu", **sizing)
    if (int8 := runs_int8_file(source, backend, precision)) is not None:
        network = FixedSizeNetwork(int8, lambda: OpenVinoNetwork(onnx_file(source)))
        return Segmenter(network, device="cpu", **sizing)
    if backend in EXPORTED_BACKENDS:
        return Segmenter(EXPORTED_BACKENDS[backend](onnx_file(source)), device="cpu", **sizing)
    return Segmenter(load_network(source), device=device, **sizing)
