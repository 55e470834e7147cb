"""Video: stream a clip's frames through a :class:`~bgremover.inference.Segmenter` and write a
transparent video, a video on a new background, or a ZIP of PNG frames.

Memory stays bounded whatever the clip's length: frames are decoded, segmented in small batches and
encoded as they come (:mod:`bgremover.video_io`, :mod:`bgremover.frames`); an error or Ctrl-C never
leaves a half-written file under the final name.

| destination | transparent background | any other background | audio |
|---|---|---|---|
| ``.webm`` | VP9 with alpha (yuva420p) | VP9 | Opus |
| ``.mov`` | ProRes 4444 with alpha | H.264 | AAC |
| ``.mp4`` | (refused: no alpha channel) | H.264 (yuv420p) | AAC |
| ``.zip`` | RGBA PNG per frame | RGB PNG per frame | — |

``mask=True`` writes the alpha matte instead (white on black, opaque; grey PNGs in a ZIP).

Example:
    >>> from bgremover import remove_background_video
    >>> remove_background_video("clip.mp4", "clip.webm", model=load_model("fast"))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from bgremover.compose import Background, background_plate, blend, is_transparent
from bgremover.constants import DEFAULT_SUBJECT
from bgremover.errors import BadVideoError
from bgremover.frames import DEFAULT_BATCH, predict_frames
from bgremover.imageops import alpha_to_uint8
from bgremover.inference import Segmenter
from bgremover.models import as_segmenter
from bgremover.video_io import (
    Encoding,
    VideoInfo,
    check_pixels,
    clip_info,
    complete_or_nothing,
    decoded_frames,
    encoding_for,
    open_container,
    upright,
)

Progress = Callable[[int, int | None], None]


@dataclass
class VideoResult:
    """What :func:`remove_background_video` wrote, and where its time went."""

    path: Path
    frames: int
    width: int
    height: int
    fps: float
    audio: bool
    seconds: dict[str, float] = field(default_factory=dict)  # decode, model, encode, total
    notes: list[str] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds["total"] if self.seconds.get("total") else 0.0


def remove_background_video(
    source: str | os.PathLike,
    destination: str | os.PathLike,
    background: Background = "transparent",
    model: Segmenter | str | os.PathLike | None = None,
    batch_size: int = DEFAULT_BATCH,
    stabilize: bool = True,
    subject: str = DEFAULT_SUBJECT,
    max_seconds: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    mask: bool = False,
    **predict_options,
) -> VideoResult:
    """Cut the people out of every frame of ``source`` and write ``destination`` (see the module's table).

    ``background``: ``"transparent"``, ``"blur"``, ``"greenscreen"``, a colour or an image, as
    :func:`~bgremover.compose.compose`. ``mask``: write the alpha matte instead (the person white on
    black: an opaque video, or grey PNG frames, for an editor's track matte; ``background`` is not
    used). ``stabilize`` steadies alpha across frames (:mod:`bgremover.temporal`). Audio is kept
    where the container allows. ``max_seconds`` refuses longer clips; ``overwrite=False`` refuses an
    existing destination. ``progress(done, total)`` is called after each frame (``total`` is an
    estimate, ``None`` when the clip does not say).
    ``predict_options`` (``tta``, ``scales``, ``refine``, ``upsample``) go to
    :meth:`~bgremover.inference.Segmenter.predict`. ``model``: a loaded model, or a name, folder or Hub
    id (default: the committed model; :func:`~bgremover.models.as_segmenter`).
    """
    source, destination = Path(source), Path(destination)
    transparent = not mask and is_transparent(background)
    encoding = encoding_for(destination, transparent)
    if destination.exists() and not overwrite:
        raise BadVideoError(f"{destination.name} exists; choose another name or allow overwriting")
    if destination.exists() and source.exists() and destination.samefile(source):
        raise BadVideoError("the output would overwrite the input")
    segmenter = as_segmenter(model)
    started = time.perf_counter()
    seconds = {"decode": 0.0, "model": 0.0, "encode": 0.0}
    with open_container(source) as container:
        info = clip_info(container, source.name)
        check_pixels(info, segmenter.max_pixels, source.name)
        if max_seconds is not None and info.duration is not None and info.duration > max_seconds:
            raise BadVideoError(f"{source.name} is {info.duration:.1f} s long; the limit is {max_seconds:g} s")
        stream = container.streams.video[0]
        audio_in = container.streams.audio[0] if container.streams.audio else None
        notes = _notes(info, encoding, audio_in is not None)
        destination.parent.mkdir(parents=True, exist_ok=True)
        times: list[tuple[int | None, float]] = []

        def video_frames() -> Iterator[np.ndarray]:
            nonlocal shape
            tick = time.perf_counter()
            for kind, frame in decoded_frames(container, audio_in is not None, source.name):
                if kind == "audio":
                    seconds["decode"] += time.perf_counter() - tick
                    tick = time.perf_counter()
                    output.write_audio(frame)
                    seconds["encode"] += time.perf_counter() - tick
                    tick = time.perf_counter()
                    continue
                rgb = upright(frame)
                if times and rgb.shape[:2] != shape:
                    raise BadVideoError(f"{source.name}: the frame size changes mid-clip, which is not supported")
                shape = rgb.shape[:2]
                times.append((frame.pts, float(frame.time or 0.0)))
                if max_seconds is not None and times[-1][1] > max_seconds:
                    raise BadVideoError(f"{source.name} is longer than the limit of {max_seconds:g} s")
                seconds["decode"] += time.perf_counter() - tick
                yield rgb
                tick = time.perf_counter()

        shape = None
        plates: dict[tuple[int, int], np.ndarray | None] = {}

        def plate_for(rgb: np.ndarray) -> np.ndarray | None:
            if transparent or background == "blur":
                return None if transparent else background_plate("blur", rgb)
            if rgb.shape[:2] not in plates:  # an image or colour: made once
                plates[rgb.shape[:2]] = background_plate(background, rgb)
            return plates[rgb.shape[:2]]

        time_base = stream.time_base or Fraction(1, 1000)
        with complete_or_nothing(destination, encoding, info.fps, time_base, audio_in) as output:
            loop = time.perf_counter()
            alphas = predict_frames(segmenter, video_frames(), batch_size, stabilize, subject, **predict_options)
            for index, (rgb, alpha) in enumerate(alphas):
                tick = time.perf_counter()
                pts, at = times[index]
                first = times[0][0] or 0
                pixels = _alpha8(alpha) if mask else _pixels(rgb, alpha, plate_for(rgb))
                output.write(pixels, index if pts is None else pts - first, at)
                seconds["encode"] += time.perf_counter() - tick
                if progress is not None:
                    progress(index + 1, info.frames)
            seconds["model"] = time.perf_counter() - loop - seconds["decode"] - seconds["encode"]
            if not times:
                raise BadVideoError(f"{source.name}: no frame could be decoded")
            tick = time.perf_counter()
            output.close()  # flushes the encoders; the rename follows when the block ends
            seconds["encode"] += time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started
    audio = encoding is not None and audio_in is not None
    return VideoResult(destination, len(times), shape[1], shape[0], float(info.fps), audio, seconds, notes)


def _alpha8(alpha: np.ndarray) -> np.ndarray:
    return alpha_to_uint8(alpha)


def _pixels(rgb: np.ndarray, alpha: np.ndarray, plate: np.ndarray | None) -> np.ndarray:
    """RGBA without a plate (transparent output), else the frame blended over it."""
    if plate is None:
        return np.dstack([rgb, _alpha8(alpha)])
    return blend(rgb, alpha, plate)


def _notes(info: VideoInfo, encoding: Encoding | None, has_audio: bool) -> list[str]:
    """What the output will not keep exactly as the input had it."""
    notes = []
    if has_audio and (encoding is None or not encoding.audio_codec):
        notes.append("a ZIP of frames has no audio track: the clip's audio is not in it")
    if encoding is not None and encoding.codec == "libx264" and (info.width % 2 or info.height % 2):
        notes.append("H.264 needs even sides: the last row or column is repeated to make them even")
    return notes
