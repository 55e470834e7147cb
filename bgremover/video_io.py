"""Video files in and out (PyAV, whose wheels bring FFmpeg): probing, decoding upright RGB frames as
they stream, and encoding under a temporary name that becomes the destination only when complete, so an
error or Ctrl-C never leaves a half-written file under the final name.
The formats each suffix gets: :mod:`bgremover.video`.

Example:
    >>> from bgremover import probe_video, read_frames
    >>> probe_video("clip.mp4").fps  # doctest: +SKIP
    Fraction(25, 1)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from bgremover.constants import VIDEO_OUTPUT_SUFFIXES as OUTPUT_SUFFIXES
from bgremover.errors import BadVideoError, UsageError
from bgremover.extras import require
from bgremover.hdr import HDR_TRANSFERS, hdr_to_sdr

DEFAULT_FPS = Fraction(25)


@dataclass(frozen=True)
class Encoding:
    """How one destination suffix is written: container, video codec and pixel format, audio codec."""

    container: str
    codec: str
    pix_fmt: str
    audio_codec: str | None
    options: dict = field(default_factory=dict)
    alpha: bool = False


X264 = {"crf": "18", "preset": "veryfast"}
VP9 = {"crf": "30", "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
ENCODINGS = {
    (".webm", True): Encoding("webm", "libvpx-vp9", "yuva420p", "libopus", VP9, alpha=True),
    (".webm", False): Encoding("webm", "libvpx-vp9", "yuv420p", "libopus", VP9),
    (".mov", True): Encoding("mov", "prores_ks", "yuva444p10le", "aac", {"profile": "4444"}, alpha=True),
    (".mov", False): Encoding("mov", "libx264", "yuv420p", "aac", X264),
    (".mp4", False): Encoding("mp4", "libx264", "yuv420p", "aac", X264),
}


@dataclass(frozen=True)
class VideoInfo:
    """A clip's size as displayed (rotation applied), frame rate, length and streams."""

    width: int
    height: int
    fps: Fraction
    frames: int | None
    duration: float | None
    rotation: int
    has_audio: bool


def open_container(path: str | os.PathLike):
    av = require("av", "video", "reading and writing video")

    path = Path(path)
    if not path.is_file():
        raise BadVideoError(f"no such file: {path.name}")
    if path.stat().st_size == 0:
        raise BadVideoError(f"{path.name}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as err:
        raise BadVideoError(f"{path.name} is not a video bgremover can read ({_reason(err)})") from None
    if not container.streams.video:
        container.close()
        raise BadVideoError(f"{path.name} has no video stream")
    return container


def _reason(err: Exception) -> str:
    return getattr(err, "strerror", None) or str(err)


def clip_info(container, name: str, rotation: int = 0) -> VideoInfo:
    stream = container.streams.video[0]
    fps = stream.average_rate or stream.guessed_rate or DEFAULT_FPS
    duration = None
    if stream.duration is not None and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    frames = stream.frames or (round(duration * fps) if duration else None)
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        raise BadVideoError(f"{name}: the video stream has no frame size")
    if rotation % 180:
        width, height = height, width
    return VideoInfo(width, height, Fraction(fps), frames, duration, rotation, bool(container.streams.audio))


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Size (as displayed), frame rate, frame count, duration and audio of a clip; ``BadVideoError`` if unreadable."""
    name = Path(path).name
    with open_container(path) as container:
        first = next((frame for kind, frame in decoded_frames(container, False, name)), None)
        if first is None:
            raise BadVideoError(f"{name}: no frame could be decoded")
        return clip_info(container, name, _rotation_steps(first.rotation) * 90)  # the first frame says how it is turned


def _rotation_steps(rotation: float | None) -> int:
    """Counter-clockwise quarter turns that display a frame upright (PyAV's display-matrix angle)."""
    return round((rotation or 0) / 90) % 4


UNTAGGED_HD_ROWS = 720  # a frame that does not name its matrix is BT.709 from this height up, as players take it
AVCOL_SPC_UNSPECIFIED = 2  # FFmpeg's number for a stream that names no matrix
AVCOL_SPC_BT2020 = (9, 10)  # FFmpeg's BT.2020 matrices (non-constant and constant luminance)


def upright(frame) -> np.ndarray:
    """A decoded frame as upright RGB. Its tagged matrix is honoured; an untagged one is read as players
    read it (BT.709 from :data:`UNTAGGED_HD_ROWS` rows up, BT.601 below), where FFmpeg would take BT.601 at
    every size and an HD camera clip's cut-out came out in other colours than the clip plays in. An HDR
    frame (HLG, as iPhones record, or PQ) is tone-mapped to SDR as a player shows it on an ordinary
    screen (:func:`bgremover.hdr.hdr_to_sdr`), not read as if it were SDR (dim and washed out)."""
    from av.video.reformatter import Colorspace

    if frame.color_trc in HDR_TRANSFERS:
        matrix = Colorspace.BT2020 if frame.colorspace in AVCOL_SPC_BT2020 else None
        rgb = hdr_to_sdr(frame.reformat(format="rgb48le", src_colorspace=matrix).to_ndarray(), frame.color_trc)
    elif frame.colorspace == AVCOL_SPC_UNSPECIFIED and frame.height >= UNTAGGED_HD_ROWS:
        rgb = frame.reformat(format="rgb24", src_colorspace=Colorspace.ITU709).to_ndarray()
    else:
        rgb = frame.to_ndarray(format="rgb24")
    steps = _rotation_steps(frame.rotation)
    return np.ascontiguousarray(np.rot90(rgb, steps)) if steps else rgb


def decoded_frames(container, audio: bool, name: str) -> Iterator[tuple[str, object]]:
    """("video", frame) and ("audio", frame) in the file's order."""
    av = require("av", "video", "reading and writing video")

    streams = [container.streams.video[0], *(container.streams.audio[:1] if audio else [])]
    # slice threads, not frame threads: with torch loaded, FFmpeg's frame threading can hang when
    # decoding stops before the end (Ctrl-C, a length limit), PyAV-Org/PyAV#1849
    streams[0].thread_type = "SLICE"
    count = 0
    try:
        for packet in container.demux(*streams):
            for frame in packet.decode():
                kind = "video" if packet.stream is streams[0] else "audio"
                count += kind == "video"
                yield kind, frame
    except av.FFmpegError as err:
        raise BadVideoError(f"{name}: the video is damaged after frame {count} ({_reason(err)})") from None


def read_frames(path: str | os.PathLike, max_pixels: int | None = None) -> Iterator[tuple[np.ndarray, float]]:
    """(upright RGB uint8 frame, time in seconds) for every frame of a clip, one at a time.

    Example:
        >>> for rgb, seconds in read_frames("clip.mp4"):  # doctest: +SKIP
        ...     print(rgb.shape, seconds)
    """
    name = Path(path).name
    with open_container(path) as container:
        info = clip_info(container, name)
        check_pixels(info, max_pixels, name)
        for _, frame in decoded_frames(container, False, name):
            yield upright(frame), float(frame.time or 0.0)


def check_pixels(info: VideoInfo, max_pixels: int | None, name: str) -> None:
    if info.width < 2 or info.height < 2:
        raise BadVideoError(f"{name} is {info.width}×{info.height}; frames must be at least 2×2 pixels")
    if max_pixels and info.width * info.height > max_pixels:
        size = f"{info.width}×{info.height}"
        raise BadVideoError(f"{name}: {size} frames have more pixels than the limit of {max_pixels}")


def encoding_for(destination: str | os.PathLike, transparent: bool) -> Encoding | None:
    """The :class:`Encoding` of ``destination`` (``None`` for ``.zip``); ``BadVideoError`` if unsupported."""
    suffix = Path(destination).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise BadVideoError(f"cannot write {suffix or 'files without a suffix'}: choose {', '.join(OUTPUT_SUFFIXES)}")
    if suffix == ".zip":
        return None
    if (suffix, transparent) not in ENCODINGS:
        raise BadVideoError(
            f"{suffix} has no alpha channel: write .webm, .mov or .zip for a transparent result, or choose a background"
        )
    return ENCODINGS[suffix, transparent]


class _ZipFrames:
    """PNG frames (``frame_000000.png`` …) and their times (``frames.csv``) in a ZIP, one frame at a time."""

    def __init__(self, path: Path):
        self.archive = zipfile.ZipFile(path, "w", zipfile.ZIP_STORED)
        self.times: list[str] = ["frame,seconds"]

    def write(self, pixels: np.ndarray, pts: int, seconds: float) -> None:
        index = len(self.times) - 1
        if pixels.ndim == 3:
            pixels = cv2.cvtColor(pixels, cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR)
        ok, png = cv2.imencode(".png", pixels)
        if not ok:
            raise BadVideoError(f"could not encode frame {index} as PNG")
        self.archive.writestr(f"frame_{index:06d}.png", png.tobytes())
        self.times.append(f"{index},{seconds:.6f}")

    def write_audio(self, frame) -> None:  # a ZIP of frames has no audio track
        pass

    def close(self) -> None:
        self.archive.writestr("frames.csv", "\n".join(self.times) + "\n")
        self.archive.close()

    def abort(self) -> None:
        self.archive.close()


# How RGB frames become YUV video, and how the stream says so (FFmpeg's AVColorSpace, AVColorPrimaries,
# AVColorTransferCharacteristic and AVColorRange numbers): the BT.601 matrix (SMPTE 170M), BT.709
# primaries (sRGB's) and transfer (what video tags sRGB pixels with), limited range; ProRes keeps only
# the matrix and range. Untagged, a player guesses the matrix from the size (BT.709 from 720 rows up),
# so an HD clip converted with BT.601, as the encoders do by default, played with shifted colours in
# Chromium; tagged, a player that reads the tags shows the colours cut. BT.601 rather than BT.709
# because Chromium plays it back closest (tests/test_browser.py checks it, HD and SD).
COLOUR_TAGS = {"colorspace": 6, "color_primaries": 1, "color_trc": 1, "color_range": 1}


class _Encoder:
    """One output container: the video stream, and the input's audio re-encoded for the container."""

    def __init__(self, path: Path, encoding: Encoding, size: tuple[int, int], fps: Fraction, time_base, audio_in):
        av = require("av", "video", "reading and writing video")

        self.container = av.open(str(path), "w", format=encoding.container)
        self.video = self.container.add_stream(encoding.codec, rate=fps, options=dict(encoding.options))
        height, width = size
        even = encoding.codec == "libx264"  # 4:2:0 H.264 needs even sides
        self.width, self.height = (width + width % 2, height + height % 2) if even else (width, height)
        self.video.width, self.video.height, self.video.pix_fmt = self.width, self.height, encoding.pix_fmt
        self.video.codec_context.time_base = time_base
        for name, value in COLOUR_TAGS.items():
            setattr(self.video.codec_context, name, value)
        self.last_pts = -1
        self.audio = None
        if audio_in is not None and encoding.audio_codec:
            rate = 48000 if encoding.audio_codec == "libopus" else audio_in.rate
            self.audio = self.container.add_stream(encoding.audio_codec, rate=rate)
            self.audio.layout = "stereo" if audio_in.layout.nb_channels > 1 else "mono"
            sample_format = self.audio.codec_context.codec.audio_formats[0].name
            self.resampler = av.AudioResampler(format=sample_format, layout=self.audio.layout, rate=rate)

    def write(self, pixels: np.ndarray, pts: int, seconds: float) -> None:
        av = require("av", "video", "reading and writing video")
        from av.video.reformatter import ColorRange, Colorspace

        if (pixels.shape[0], pixels.shape[1]) != (self.height, self.width):
            pad = ((0, self.height - pixels.shape[0]), (0, self.width - pixels.shape[1]), *[(0, 0)] * (pixels.ndim - 2))
            pixels = np.pad(pixels, pad, mode="edge")
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        frame = av.VideoFrame.from_ndarray(pixels, format={1: "gray", 3: "rgb24", 4: "rgba"}[channels])
        frame = frame.reformat(  # the matrix and range COLOUR_TAGS names, in swscale's terms
            format=self.video.pix_fmt, dst_colorspace=Colorspace.ITU601, dst_color_range=ColorRange.MPEG
        )
        frame.pts = max(pts, self.last_pts + 1)
        self.last_pts = frame.pts
        self.container.mux(self.video.encode(frame))

    def write_audio(self, frame) -> None:
        if self.audio is None:
            return
        frame.pts = None
        for resampled in self.resampler.resample(frame):
            self.container.mux(self.audio.encode(resampled))

    def close(self) -> None:
        self.container.mux(self.video.encode())
        if self.audio is not None:
            for resampled in self.resampler.resample(None):
                self.container.mux(self.audio.encode(resampled))
            self.container.mux(self.audio.encode())
        self.container.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()


class _Output:
    """The destination, opened at the first video frame (its upright size is known then); audio that
    arrives before it waits."""

    def __init__(self, path: Path, encoding: Encoding | None, fps: Fraction, time_base, audio_in):
        self.path, self.encoding, self.fps, self.time_base, self.audio_in = path, encoding, fps, time_base, audio_in
        self.writer: _ZipFrames | _Encoder | None = None
        self.waiting_audio: list = []
        self.closed = False

    def write(self, pixels: np.ndarray, pts: int, seconds: float) -> None:
        if self.writer is None:
            size = pixels.shape[:2]
            if self.encoding is None:
                self.writer = _ZipFrames(self.path)
            else:
                self.writer = _Encoder(self.path, self.encoding, size, self.fps, self.time_base, self.audio_in)
            for frame in self.waiting_audio:
                self.writer.write_audio(frame)
            self.waiting_audio.clear()
        self.writer.write(pixels, pts, seconds)

    def write_audio(self, frame) -> None:
        if self.writer is None:
            self.waiting_audio.append(frame)
        else:
            self.writer.write_audio(frame)

    def close(self) -> None:
        if self.writer is not None and not self.closed:
            self.writer.close()
        self.closed = True

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


def partial_path(destination: Path) -> Path:
    """The temporary name an output is written under until it is complete."""
    return destination.with_name(f".{destination.name}.{os.getpid()}.partial")


@contextlib.contextmanager
def complete_or_nothing(destination: Path, encoding: Encoding | None, fps: Fraction, time_base, audio_in):
    """An :class:`_Output` under :func:`partial_path`, renamed to ``destination`` when the block ends
    without an error (or Ctrl-C); otherwise removed."""
    tmp = partial_path(destination)
    output = _Output(tmp, encoding, fps, time_base, audio_in)
    try:
        yield output
        output.close()
        os.replace(tmp, destination)
    except BaseException:
        output.abort()
        raise
    finally:
        tmp.unlink(missing_ok=True)


def write_video(frames: Iterable[np.ndarray], destination: str | os.PathLike, fps: float = 25.0) -> int:
    """Write RGB (or RGBA, for ``.webm``, ``.mov`` and ``.zip``) uint8 frames of one size to
    ``destination`` at a constant ``fps``, as :func:`remove_background_video` writes its output;
    returns the number of frames. An existing file is replaced only when complete.

    Example:
        >>> write_video([np.zeros((64, 64, 3), np.uint8)] * 3, "black.mp4", fps=10)  # doctest: +SKIP
        3
    """
    destination = Path(destination)
    stream = iter(frames)
    first = next(stream, None)
    if first is None:
        raise UsageError("no frames to write")
    rate = Fraction(fps).limit_denominator(1001)
    count = 0
    with complete_or_nothing(destination, encoding_for(destination, first.shape[2] == 4), rate, 1 / rate, None) as out:
        for pixels in itertools.chain([first], stream):
            out.write(pixels, count, count / float(rate))
            count += 1
    return count
