"""What the app's endpoints do, independent of the UI: cut, mask, timing, errors as messages."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from bgremover import settings
from bgremover.compose import background_plate, blend, compose, parse_color, prepared_background
from bgremover.constants import DEFAULT_SUBJECT, PNG_OPTIONS
from bgremover.errors import BadBackgroundError, UsageError, WeightsUnavailableError
from bgremover.imageops import alpha_to_uint8
from bgremover.inference import Segmenter
from bgremover.io import read_image
from bgremover.options import CutOptions
from bgremover.serve.monitor import Monitor
from bgremover.temporal import TemporalSmoother
from bgremover.video import BadVideoError, Progress, remove_background_video

DEFAULT_MODEL = "default"  # the service's main model (the library's name); others come from ``extra_models``
# Gradio caches outputs by content hash: identical results of concurrent requests would be rewritten
# at one path while another request downloads it. A per-request PNG text chunk keeps paths unique.
PNG_REQUEST_KEY = "bgremover-request"
VIDEO_FORMATS = ("webm", "mp4", "mov", "zip")  # what the app offers for a clip
MATTE = "matte"  # a clip's "background" that asks for its alpha matte (white on black) instead of the cut-out


def _malloc_trim():
    """glibc's ``malloc_trim`` (returns freed heap pages to the OS), or ``None`` off glibc."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Give freed heap memory back after each request, so the server's RSS tracks its real use."""
    if _TRIM is not None:
        _TRIM(0)


ANOMALY_HINTS = {  # what a user reads for each monitor flag (the numbers stay in the Monitor tab)
    "empty mask": "No person was found in this photo.",
    "whole-frame mask": "The whole frame was taken as the person; check the result.",
    "many fragments": "The cut-out is in many pieces; check the result.",
    "upside down": "The photo looks upside down; turn it upright for a better cut-out.",
    "quality": "The edges look uncertain on this photo; check the result.",
    "input drift": "This photo is unlike the photos the model learned from; check the result.",
}


def result_summary(info: dict) -> str:
    """One friendly line about a cut: time, size, model, and a hint when the monitor flagged it.

    Example:
        >>> result_summary({"latency_ms": 91.2, "width": 640, "height": 480, "model": "default", "anomalies": []})
        'Cut out in 91 ms (640×480, default model).'
    """
    line = f"Cut out in {info['latency_ms']:.0f} ms ({info['width']}×{info['height']}, {info['model']} model)."
    hints = [hint for flag in info.get("anomalies", []) for key, hint in ANOMALY_HINTS.items() if flag.startswith(key)]
    return " ".join([line, *dict.fromkeys(hints)])


@dataclass
class CutRequest:
    """One request's options, as the UI and the API pass them."""

    flip: bool = False
    multiscale: bool = False
    refine: bool = False
    threshold: float = 0.0
    background: str = "transparent"
    color: str = "#ffffff"
    background_image: bytes | np.ndarray | None = None  # the uploaded file's bytes (never a server path)
    model: str = DEFAULT_MODEL
    subject: str = DEFAULT_SUBJECT  # "all" | "main"
    foreground_estimation: bool = False  # take the background's colour out of the edges
    upsample: str = ""  # "bilinear" | "guided"; empty: the model's own

    def options(self) -> CutOptions:
        """The cut's options, checked as the library checks them (a threshold of 0: the soft alpha)."""
        return CutOptions(
            tta=self.flip,
            multiscale=self.multiscale,
            refine=self.refine,
            subject=self.subject,
            threshold=self.threshold,
            foreground_estimation=self.foreground_estimation,
            upsample=self.upsample,
        )

    def background_spec(self):
        """What :func:`bgremover.compose.compose` takes for the chosen background. A request comes from
        a network client, so nothing in it names a file: the colour is parsed as a colour only
        (:func:`~bgremover.compose.parse_color`), and a background image is the upload's bytes."""
        if self.background == "color":
            return parse_color(self.color or "#ffffff")
        if self.background == "image":
            if self.background_image is None or len(self.background_image) == 0:
                raise BadBackgroundError("choose a background image, or another background")
            if not isinstance(self.background_image, bytes | bytearray | np.ndarray):
                raise BadBackgroundError("a background image is sent as an upload, not named by a path")
            return prepared_background(
                np.asarray(self.background_image)
                if isinstance(self.background_image, np.ndarray)
                else bytes(self.background_image)
            )
        if self.background in ("transparent", "blur", "greenscreen"):
            return self.background
        raise BadBackgroundError(
            f"unknown background {str(self.background)[:40]!r}: transparent, color, image, blur or greenscreen"
        )


@dataclass
class LiveSession:
    """One viewer's camera stream: temporal smoothing state and recent frame times (for fps)."""

    subject: str = DEFAULT_SUBJECT
    smoother: TemporalSmoother = field(default_factory=TemporalSmoother)
    times: deque = field(default_factory=lambda: deque(maxlen=30))

    def tick(self) -> None:
        self.times.append(time.perf_counter())

    def fps(self) -> float:
        """Frames per second over the last (up to) 30 frames; 0 before the second frame."""
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / max(self.times[-1] - self.times[0], 1e-9)


@dataclass
class CutResult:
    """Full-resolution RGB input, alpha, the composited output and the call's info."""

    rgb: np.ndarray
    alpha: np.ndarray
    output: Image.Image
    info: dict = field(default_factory=dict)

    def mask_image(self) -> Image.Image:
        mask = Image.fromarray(alpha_to_uint8(self.alpha), "L")
        mask.info[PNG_REQUEST_KEY] = self.info["request_id"]
        return mask


class CutService:
    """Runs cut requests on a :class:`Segmenter` (the ``"default"`` model, or another named one that
    ``extra_models`` loads on first use), records them in a :class:`Monitor`, and writes lossless
    PNG downloads to ``out_dir``."""

    def __init__(
        self,
        segmenter: Segmenter,
        out_dir: str | os.PathLike | None = None,
        monitor: Monitor | None = None,
        extra_models: Mapping[str, Callable[[], Segmenter]] | None = None,
        keep_seconds: float = 3600.0,
        on_demand: frozenset[str] = frozenset(),
    ):
        self.segmenter = segmenter
        self.loaders = {DEFAULT_MODEL: lambda: segmenter, **(extra_models or {})}
        self.loaded: dict[str, Segmenter] = {}
        self.load_lock = threading.Lock()
        self.warmed = threading.Event()
        self.monitor = monitor or Monitor()
        self.out_dir = Path(out_dir or tempfile.mkdtemp(prefix="bgremover-"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if out_dir is None:  # the users' cut-outs go with the process that made them
            atexit.register(shutil.rmtree, self.out_dir, ignore_errors=True)
        self.keep_seconds = keep_seconds
        self.on_demand = on_demand  # loaded at their first request, not at warm-up (``best``: a 176 MB peer)

    @property
    def model_names(self) -> list[str]:
        return list(self.loaders)

    def model(self, name: str) -> Segmenter:
        """The named segmenter, loaded once; a model whose weights cannot be had here answers in words."""
        if name not in self.loaders:
            raise UsageError(f"unknown model {name!r}: {', '.join(self.loaders)}")
        with self.load_lock:
            if name not in self.loaded:
                try:
                    self.loaded[name] = self.loaders[name]()
                except WeightsUnavailableError as err:
                    raise UsageError(f"the {name!r} model cannot be loaded on this server: {err}") from None
            return self.loaded[name]

    def warm_up(self, forward: bool = True) -> threading.Thread:
        """Load every model and run each once on a small frame, in a background thread, so that the
        first request does not pay for loading, exporting or compiling (the fast tier's graph).
        ``forward=False`` only loads them: on a ZeroGPU Space a GPU exists only inside a request."""

        def run() -> None:
            frame = np.full((64, 64, 3), 127, np.uint8)
            for name in self.model_names:
                if name not in self.on_demand:
                    model = self.model(name)
                    if forward:
                        model.predict(frame)
            self.warmed.set()

        thread = threading.Thread(target=run, name="bgremover-warm-up", daemon=True)
        thread.start()
        return thread

    def cut(self, image, request: CutRequest) -> CutResult:
        """Segment and compose; raises ``BadImageError``/``ValueError`` with a user message."""
        started = time.perf_counter()
        try:
            segmenter = self.model(request.model)
            rgb = read_image(image, segmenter.max_pixels)
            background = request.background_spec()
            options = request.options()
            alpha = options.alpha(segmenter, rgb)
            output = compose(rgb, alpha, background, options.foreground_estimation)
        except (ValueError, OSError):
            self.monitor.record_error()
            raise
        latency = (time.perf_counter() - started) * 1000.0
        record = self.monitor.record(rgb, alpha, latency)
        release_free_memory()
        request_id = uuid.uuid4().hex
        output.info[PNG_REQUEST_KEY] = request_id
        info = {
            "request_id": request_id,
            "model": request.model,
            "latency_ms": round(latency, 1),
            "width": rgb.shape[1],
            "height": rgb.shape[0],
            "quality": record["quality"],
            "anomaly": record["anomaly"],
            "anomalies": record["anomalies"],
            "drift_score": record["drift_score"],
        }
        return CutResult(rgb, alpha, output, info)

    def cut_video(
        self,
        video: str | os.PathLike,
        request: CutRequest,
        output_format: str = "webm",
        stabilize: bool = True,
        progress: Progress | None = None,
    ) -> tuple[Path, dict]:
        """Cut a clip (or, with ``request.background == "matte"``, write its alpha matte) into ``out_dir`` (a fresh
        name each call) within the app's limits
        (:func:`bgremover.settings.video_max_seconds`, :func:`~bgremover.settings.video_max_bytes`);
        returns the output's path and the call's info. Raises ``BadVideoError``/``ValueError`` with
        a user message; recorded in the monitor's error count."""
        path = None
        try:
            if output_format not in VIDEO_FORMATS:
                raise UsageError(f"unknown video format {output_format!r}: {', '.join(VIDEO_FORMATS)}")
            size = Path(video).stat().st_size if Path(video).is_file() else 0
            limit = settings.video_max_bytes()
            if size > limit:
                shown, most = f"{size / 2**20:.1f} MiB", f"{limit / 2**20:.1f} MiB"
                if shown == most:  # just over: the bytes tell them apart
                    shown, most = f"{size:,} bytes", f"{limit:,} bytes"
                raise BadVideoError(f"the clip is {shown}; the limit is {most}")
            segmenter = self.model(request.model)
            mask = request.background == MATTE
            background = "transparent" if mask else request.background_spec()
            if output_format == "mp4" and background == "transparent" and not mask:
                background = "greenscreen"  # MP4 has no alpha: the nearest thing an editor can key
            path = self.new_output("cutout", f".{output_format}")
            result = remove_background_video(
                video,
                path,
                background,
                model=segmenter,
                stabilize=stabilize,
                subject=request.subject,
                max_seconds=settings.video_max_seconds(),
                overwrite=True,
                progress=progress,
                mask=mask,
            )
        except Exception:  # a user's mistake (ValueError, OSError) or a bug: nothing half-written stays either way
            self.monitor.record_error()
            if path is not None:
                Path(path).unlink(missing_ok=True)
            raise
        finally:
            release_free_memory()
        info = {
            "model": request.model,
            "frames": result.frames,
            "width": result.width,
            "height": result.height,
            "fps": round(result.fps, 3),
            "audio": result.audio,
            "stabilized": stabilize,
            "seconds": round(result.seconds["total"], 2),
            "frames_per_second": round(result.frames_per_second, 1),
            "notes": result.notes,
        }
        return Path(path), info

    def live_model_name(self) -> str:
        """The model live frames run through: the fast tier when the service has it."""
        return "fast" if "fast" in self.loaders else DEFAULT_MODEL

    def live_frame(self, rgb: np.ndarray, background, session: LiveSession) -> np.ndarray:
        """One camera frame with its background replaced (``"blur"``, ``"greenscreen"`` or a colour),
        steadied by the session's smoother; the session counts frames for :meth:`LiveSession.fps`."""
        segmenter = self.model(self.live_model_name())
        rgb = read_image(rgb, segmenter.max_pixels)
        alpha = session.smoother(rgb, segmenter.predict(rgb, subject=session.subject))
        session.tick()
        return blend(rgb, alpha, background_plate(background, rgb))

    def new_output(self, stem: str, suffix: str) -> str:
        """A fresh file name in ``out_dir`` for a download; downloads older than ``keep_seconds`` are deleted."""
        cutoff = time.time() - self.keep_seconds
        for old in self.out_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if old.is_file() and old.stat().st_mtime < cutoff:
                    old.unlink()
        fd, path = tempfile.mkstemp(dir=self.out_dir, prefix=f"{stem}-", suffix=suffix)
        os.close(fd)
        return path

    def save_png(self, image: Image.Image, stem: str) -> str:
        """Write ``image`` as PNG under a unique name; returns its path."""
        path = self.new_output(stem, ".png")
        image.save(path, **PNG_OPTIONS)
        return path
