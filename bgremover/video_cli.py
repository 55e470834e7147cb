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
from bgremover.frames import DEFAULT_BATCH
from bgremover.models import load_model
from bgremover.options import CutOptions
from bgremover.video import remove_background_video


def split_videos(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """(video files, everything else) among the command line's inputs."""
    videos = [Path(item) for item in inputs if Path(item).suffix.lower() in VIDEO_SUFFIXES and not Path(item).is_dir()]
    return videos, [item for item in inputs if Path(item) not in videos]


def video_destination(
    video: Path, output: str, transparent: bool, video_format: str | None, single: bool, relative: Path | None = None
) -> Path:
    """``output`` itself when it names a video/ZIP file for a single input, else ``output/<stem>.<format>``,
    or ``output/<relative>.<format>`` for a video found in an input folder (its place in that folder).

    Example:
        >>> str(video_destination(Path("a/clip.mp4"), "out.webm", True, None, True))
        'out.webm'
        >>> str(video_destination(Path("a/clip.mp4"), "cutouts", False, None, False))
        'cutouts/clip.mp4'
        >>> str(video_destination(Path("a/b/clip.mp4"), "cutouts", True, None, False, Path("b/clip")))
        'cutouts/b/clip.webm'
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
    if relative is not None:
        return target / relative.parent / f"{relative.name}{suffix}"
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


def photo_only(options: CutOptions, in_folders: list[tuple[Path, Path]]) -> bool:
    """Whether the cut's options apply to photos only (a hard threshold, foreground estimation), so the
    videos found in the input folders are left as they are; says so when there are such videos."""
    if options.threshold is None and not options.foreground_estimation:
        return False
    if in_folders:
        print(
            f"note: --threshold and --foreground-estimation apply to photos; {len(in_folders)} video(s) in the "
            f"folders are left as they are (first: {in_folders[0][0]})",
            file=sys.stderr,
        )
    return True


def cut_videos(videos: list[Path], args: argparse.Namespace, relatives: dict[Path, Path] | None = None) -> list:
    """Cut each video with a progress bar; returns the (file, reason) of each failure after reporting it.
    ``relatives``: where a video found in an input folder goes under the output folder (its place there)."""
    segmenter = load_model(args.model, device=args.device, backend=args.backend, precision=args.precision)
    transparent = not args.mask and is_transparent(args.bg)
    single = len(videos) == 1 and not relatives
    failures: list[tuple[Path, str]] = []
    for video in videos:
        failures += cut_video_into(
            segmenter, video, args.output, (relatives or {}).get(video), transparent=transparent,
            video_format=args.format, single=single, background=args.bg, mask=args.mask, overwrite=args.overwrite,
            options=CutOptions.from_args(args), stabilize=not args.no_stabilize, batch_size=args.batch_size,
        )  # fmt: skip
    return failures


def cut_video_into(
    segmenter,
    video: Path,
    output: str | Path,
    relative: Path | None,
    transparent: bool,
    video_format: str | None,
    single: bool,
    background,
    mask: bool,
    overwrite: bool,
    options: CutOptions,
    stabilize: bool = True,
    batch_size: int = DEFAULT_BATCH,
) -> list[tuple[Path, str]]:
    """One video into its destination under ``output`` (:func:`video_destination`), as :func:`cut_video`
    cuts it; a video found in an input folder (``relative`` given) whose cut is already there is kept and
    counted (a folder's cut resumes). Returns ``[(video, reason)]`` after reporting a failure, else ``[]``."""
    try:
        destination = video_destination(video, str(output), transparent, video_format, single, relative)
        if relative is not None and destination.exists() and not overwrite:
            print(f"{video.name}: {destination} already there (kept; --overwrite replaces it)")
            return []
        cut_video(
            segmenter, video, destination, background, mask=mask, overwrite=overwrite, options=options,
            stabilize=stabilize, batch_size=batch_size,
        )  # fmt: skip
    except (BadVideoError, ValueError) as err:
        print(f"skipped {video}: {err}", file=sys.stderr)
        return [(video, str(err))]
    return []


def cut_video(
    segmenter,
    video: Path,
    destination: Path,
    background,
    mask: bool,
    overwrite: bool,
    options: CutOptions,
    stabilize: bool = True,
    batch_size: int = DEFAULT_BATCH,
) -> None:
    """One video into ``destination`` with a progress bar, and a line saying what was written; Ctrl-C
    leaves nothing and is raised again; a video that cannot be cut raises ``BadVideoError``."""
    if file_identity(destination) is not None and file_identity(destination) == file_identity(video):
        raise BadVideoError(f"{destination} is the input video itself: choose another output")
    if destination.exists() and not overwrite:
        raise BadVideoError(f"{destination} exists: pass --overwrite to replace it")
    try:
        with tqdm(desc=video.name, unit="frame", dynamic_ncols=True) as bar, interrupt_flag() as stop:

            def progress(done: int, total: int | None) -> None:
                if stop.is_set():
                    raise KeyboardInterrupt
                if total and bar.total != max(total, done):
                    bar.total = max(total, done)
                bar.update(done - bar.n)

            result = remove_background_video(
                video, destination, background, model=segmenter, batch_size=batch_size, stabilize=stabilize,
                subject=options.subject, overwrite=overwrite, progress=progress, mask=mask, tta=options.tta,
                scales=MULTISCALE if options.multiscale else None, refine=options.refine, upsample=options.upsample,
            )  # fmt: skip
    except KeyboardInterrupt:
        print(f"interrupted: nothing was written for {video.name}", file=sys.stderr)
        raise
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"{video.name}: {result.frames} frames ({result.width}×{result.height}, {result.fps:g} fps"
        f"{', audio kept' if result.audio else ''}) written to {result.path} at {result.frames_per_second:.1f} fps"
    )
