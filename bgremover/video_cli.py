"""``bgremover cut`` for videos: output naming, a progress bar, Ctrl-C that leaves nothing half-written."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from bgremover.batch import check_folder, file_identity
from bgremover.compose import is_transparent
from bgremover.constants import IMAGE_SUFFIXES, MULTISCALE, VIDEO_OUTPUT_SUFFIXES, VIDEO_SUFFIXES
from bgremover.errors import BadVideoError
from bgremover.models import load_model
from bgremover.video import remove_background_video


def split_videos(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """(video files, everything else) among the command line's inputs."""
    videos = [Path(item) for item in inputs if Path(item).suffix.lower() in VIDEO_SUFFIXES and not Path(item).is_dir()]
    return videos, [item for item in inputs if Path(item) not in videos]


def video_destination(video: Path, output: str, transparent: bool, video_format: str | None, single: bool) -> Path:
    """``output`` itself when it names a video/ZIP file for a single input, else ``output/<stem>.<format>``.

    Example:
        >>> str(video_destination(Path("a/clip.mp4"), "out.webm", True, None, True))
        'out.webm'
        >>> str(video_destination(Path("a/clip.mp4"), "cutouts", False, None, False))
        'cutouts/clip.mp4'
    """
    target = Path(output)
    if str(output) == "-" or target.suffix.lower() in IMAGE_SUFFIXES:
        raise BadVideoError(
            f"{output}: a video is written as a .webm, .mov, .mp4 or .zip file, or into a folder (not to stdout"
            " or an image file)"
        )
    if target.suffix.lower() in VIDEO_OUTPUT_SUFFIXES:
        if not single:
            raise BadVideoError(f"{output} names one file, but several videos were given: name a folder")
        check_folder(target.parent)
        return target
    check_folder(target)
    suffix = f".{video_format}" if video_format else (".webm" if transparent else ".mp4")
    return target / f"{video.stem}{suffix}"


@contextlib.contextmanager
def interrupt_flag() -> Iterator[threading.Event]:
    """Ctrl-C sets the flag yielded here as well as raising ``KeyboardInterrupt``: an interrupt that
    lands where Python ignores exceptions (a ``__del__``, a garbage-collector callback) is not lost,
    and the frame loop stops at its next frame. Outside the main thread the flag is never set."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def interrupted(signum, frame):
        flag.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def cut_videos(videos: list[Path], args: argparse.Namespace) -> list[tuple[Path, str]]:
    """Cut each video with a progress bar; returns the (file, reason) of each failure after reporting it."""
    segmenter = load_model(args.model, device=args.device, backend=args.backend, precision=args.precision)
    transparent = not args.mask and is_transparent(args.bg)
    failures: list[tuple[Path, str]] = []
    for video in videos:
        try:
            destination = video_destination(video, args.output, transparent, args.format, len(videos) == 1)
            if file_identity(destination) is not None and file_identity(destination) == file_identity(video):
                raise BadVideoError(f"{destination} is the input video itself: choose another output")
            if destination.exists() and not args.overwrite:
                raise BadVideoError(f"{destination} exists: pass --overwrite to replace it")
            with tqdm(desc=video.name, unit="frame", dynamic_ncols=True) as bar, interrupt_flag() as stop:

                def progress(done: int, total: int | None, bar=bar, stop=stop) -> None:
                    if stop.is_set():
                        raise KeyboardInterrupt
                    if total and bar.total != max(total, done):
                        bar.total = max(total, done)
                    bar.update(done - bar.n)

                result = remove_background_video(
                    video,
                    destination,
                    args.bg,
                    model=segmenter,
                    batch_size=args.batch_size,
                    stabilize=not args.no_stabilize,
                    subject=args.subject,
                    overwrite=args.overwrite,
                    progress=progress,
                    mask=args.mask,
                    tta=args.tta,
                    scales=MULTISCALE if args.multiscale else None,
                    refine=args.refine,
                    upsample=args.upsample,
                )
        except KeyboardInterrupt:
            print(f"interrupted: nothing was written for {video.name}", file=sys.stderr)
            raise
        except (BadVideoError, ValueError) as err:
            failures.append((video, str(err)))
            print(f"skipped {video}: {err}", file=sys.stderr)
            continue
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        print(
            f"{video.name}: {result.frames} frames ({result.width}×{result.height}, {result.fps:g} fps"
            f"{', audio kept' if result.audio else ''}) written to {result.path} at {result.frames_per_second:.1f} fps"
        )
    return failures
