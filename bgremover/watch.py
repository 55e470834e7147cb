"""Hot folders: cut the photos and videos in folders, then every one that lands in them, until stopped.

``bgremover cut PHOTOS/ -o CUTOUTS/ --watch`` (rembg's ``p --watch``, which takes photos only): the model
is loaded once; a file is cut once its size and modification time have held still for
:data:`WATCH_SETTLE` seconds (a copy still being written waits), one written again is cut again (its
old cut-out replaced only with ``overwrite``, as everywhere), and one that cannot be read is reported
and tried again when it changes. A video is cut as ``bgremover cut`` cuts the videos in a folder
(``output/<its place>.webm``, or ``video_format``), the photos that land meanwhile waiting their turn.
The folders are looked at every :data:`WATCH_INTERVAL` seconds rather than followed through
file-system events, which do not arrive from network shares and many container mounts; how long a
file has held still is timed by this machine's clock, not by the file's modification time, which a
share's clock may set ahead or behind. Outputs are written whole (:func:`~bgremover.batch.save_whole`),
and an output folder inside a watched folder is never taken for input.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from bgremover.batch import cut_jobs, folder_videos, output_plan
from bgremover.compose import is_transparent, prepared_background
from bgremover.constants import VIDEO_SUFFIXES
from bgremover.errors import UsageError
from bgremover.models import load_model
from bgremover.options import CutOptions
from bgremover.video_cli import cut_video_into, photo_only

WATCH_INTERVAL = 1.0  # seconds between looks at the watched folders
WATCH_SETTLE = 2.0  # seconds a photo's size and modification time must hold still before it is cut


def file_state(path: Path) -> tuple[int, int] | None:
    """(size, modification time in ns) of a file, ``None`` where it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def watch_folders(
    folders: list[str],
    output: str | Path,
    model: str | None = None,
    device: str | None = None,
    backend: str | None = None,
    background="transparent",
    mask: bool = False,
    options: CutOptions | None = None,
    precision: str | None = None,
    overwrite: bool = False,
    interval: float = WATCH_INTERVAL,
    settle: float = WATCH_SETTLE,
    stop: threading.Event | None = None,
    photo_format: str | None = None,
    video_format: str | None = None,
    stabilize: bool = True,
) -> list[tuple[Path, str]]:
    """Cut the photos and videos in ``folders`` into the folder ``output`` (as :func:`~bgremover.batch.cut_files`
    and ``bgremover cut`` do), then each one that appears or changes there, until ``stop`` is set or Ctrl-C;
    returns the (file, reason) of every failure. The arguments are :func:`~bgremover.batch.cut_files`'s;
    ``video_format`` (webm, mov, mp4, zip) and ``stabilize`` are the videos'.

    Example:
        >>> stop = threading.Event()
        >>> threading.Timer(60, stop.set).start()  # doctest: +SKIP
        >>> watch_folders(["incoming"], "cutouts", model="fast", stop=stop)  # doctest: +SKIP
    """
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise UsageError(f"--watch watches folders; {folder} is not a folder")
        if folder.resolve() == Path(output).resolve():  # its cut-outs would land among the photos it watches
            raise UsageError(f"--watch writes into a folder other than the one it watches; {output} is {folder}")
    if interval <= 0 or settle < 0:
        raise UsageError(
            f"the watch interval must be positive and the settle time not negative, got {interval}, {settle}"
        )
    transparent = not mask and is_transparent(background)
    jobs, out_dir = output_plan(folders, Path(output), transparent, None, photo_format)
    if out_dir is None or out_dir != Path(output):
        raise UsageError(f"--watch writes into a folder; {output} names a file")
    options = options or CutOptions()
    found = folder_videos(folders, exclude=out_dir)
    with_videos = not photo_only(options, found)
    videos = dict(found) if with_videos else {}
    background = background if mask else prepared_background(background)
    segmenter = load_model(model, device=device, backend=backend, precision=precision)
    stop = stop or threading.Event()
    seen = {path: file_state(path) for path in [*(path for path, _ in jobs), *videos]}
    failures: list[tuple[Path, str]] = []

    def cut(photos: list[tuple[Path, Path]], clips: dict[Path, Path]) -> None:
        if photos:
            failures.extend(cut_jobs(segmenter, photos, out_dir, output, background, mask, options, overwrite))
        for video, relative in clips.items():
            failed = cut_video_into(
                segmenter, video, out_dir, relative, transparent=transparent, video_format=video_format,
                single=False, background=background, mask=mask, overwrite=overwrite, options=options,
                stabilize=stabilize,
            )  # fmt: skip
            failures.extend(failed)

    try:
        cut(jobs, videos)
        kinds = "photos and videos" if with_videos else "photos"
        print(f"watching {', '.join(folders)} for {kinds} (Ctrl-C stops)", file=sys.stderr, flush=True)
        still: dict[Path, tuple[tuple[int, int], float]] = {}  # a new file's state, and since when it holds
        while not stop.wait(interval):
            now, changed = time.monotonic(), {}
            photos = output_plan(folders, out_dir, False, None, photo_format)[0]
            clips = folder_videos(folders, exclude=out_dir) if with_videos else []
            ready_photos, ready_clips = [], {}
            for path, relative in [*photos, *clips]:
                state = file_state(path)
                if state is None or state == seen.get(path):
                    continue
                known = still.get(path)
                changed[path] = (state, known[1] if known and known[0] == state else now)
                if now - changed[path][1] >= settle:
                    if path.suffix.lower() in VIDEO_SUFFIXES:
                        ready_clips[path] = relative
                    else:
                        ready_photos.append((path, relative))
            still = changed
            if ready_photos or ready_clips:
                seen.update((path, still.pop(path)[0]) for path in [*(p for p, _ in ready_photos), *ready_clips])
                cut(ready_photos, ready_clips)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    return failures
