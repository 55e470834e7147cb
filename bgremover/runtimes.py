"""The runtimes a model runs on: the exported graph through ONNX Runtime or OpenVINO (its int8 file at a
fixed size), and the choice ``backend="auto"`` makes between them and PyTorch on this machine."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from bgremover import settings
from bgremover.constants import AUTO, INT8_FILE
from bgremover.errors import UsageError
from bgremover.extras import RUNTIME_MODULES, installed, require

RUNTIME_PACKAGES = {"onnx": "onnxruntime", "openvino": "openvino"}  # the package each exported backend runs on


def require_runtime(backend: str):
    """The package the exported ``backend`` runs on, or a :class:`~bgremover.errors.MissingExtraError`
    naming the ``runtimes`` extra (checked before a model is exported for it)."""
    return require(RUNTIME_PACKAGES[backend], "runtimes", f"the {backend} backend")


class OnnxNetwork:
    """An exported model (see :func:`bgremover.deploy.export.export_onnx`, or any one-input graph whose
    first output is N×1×H×W) run by onnxruntime."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        ort = require_runtime("onnx")

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name  # "image" in bgremover's files

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: batch})[0][:, 0]


class OpenVinoNetwork:
    """An exported model run by OpenVINO on the CPU at its default precision (bf16 on CPUs that have
    it: about half onnxruntime's latency here, IoU within 0.002; see ``benchmarks/runtimes.py``)."""

    def __init__(self, model, threads: int | None = None, precision: str | None = None):
        """``model``: a model file's path, or an ``openvino.Model`` already read (e.g. reshaped)."""
        ov = require_runtime("openvino")

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


def choose_runtime(precision: str, cuda: bool, openvino: bool, openvino_bf16: bool, exported: bool = True) -> str:
    """The runtime ``backend="auto"`` takes on a machine with (or without) a CUDA GPU, OpenVINO and a
    CPU on which OpenVINO runs bf16 natively (AVX-512-BF16 or AMX); ``exported``: the ``runtimes`` extra
    (ONNX export, ONNX Runtime and OpenVINO) is installed.

    A CUDA GPU: ``"torch"`` on the GPU (half precision, channels-last), for every precision — a
    model's int8 file is a CPU format. Without the ``runtimes`` extra: ``"torch"`` on the CPU.
    Otherwise the fastest exported CPU runtime: ``"openvino"``
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
        >>> choose_runtime("int8", cuda=False, openvino=False, openvino_bf16=False, exported=False)
        'torch'
    """
    if cuda or not exported:
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
    return choose_runtime(precision, False, *_openvino_support(), exported=installed(*RUNTIME_MODULES))


@cache
def nvidia_driver() -> bool:
    """Whether this machine has the NVIDIA driver's CUDA library, which every CUDA GPU needs."""
    for name in ("nvcuda.dll",) if os.name == "nt" else ("libcuda.so.1", "libcuda.so"):
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def cuda_available() -> bool:
    """``torch.cuda.is_available()``, without importing torch on a machine that has no NVIDIA driver
    (importing torch costs about 2 s of a command's start; the exported runtimes do not need it). Where
    torch is already imported it is asked whatever the driver: on a ZeroGPU Space ``import spaces``
    imports torch and makes it report the GPU lent per call."""
    if "torch" not in sys.modules and not nvidia_driver():
        return False
    import torch

    return torch.cuda.is_available()


def resolve_backend(backend: str, precision: str = "default") -> str:
    """``backend`` with ``"auto"`` replaced by :func:`choose_runtime` on this machine (a CUDA GPU where
    torch sees one, :func:`cuda_available`)."""
    if backend != AUTO:
        return backend
    cuda = cuda_available()
    return choose_runtime(precision, cuda, *_openvino_support(), exported=installed(*RUNTIME_MODULES))


def onnx_file(source: str | os.PathLike | None) -> Path:
    """The model's ONNX file: ``model.onnx`` in its folder, else exported once into the cache (named
    by the source and, for a local folder, its weights' size and time, so a retrained model re-exports;
    the export needs torch, a cached file does not)."""
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
        from bgremover.deploy.export import export_onnx

        if sys.stderr.isatty():  # the first run of a model takes seconds longer than the next ones: say why
            print(f"bgremover: exporting {Path(resolved).name} to ONNX, once (cached in {cache})", file=sys.stderr)
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
