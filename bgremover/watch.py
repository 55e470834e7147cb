"""Hot folders: cut the photos in folders, then every photo that lands in them, until stopped.

``bgremover cut PHOTOS/ -o CUTOUTS/ --watch`` (rembg's ``p --watch``): the model is loaded once; a
photo is cut once its size and modification time have held still for :data:`WATCH_SETTLE` seconds
(a copy still being written waits), a photo written again is cut again (its old cut-out replaced only
with ``overwrite``, as everywhere), and one that cannot be read is reported and tried again when it
changes. The folders are looked at every :data:`WATCH_INTERVAL` seconds rather than followed through
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

from bgremover.batch import cut_jobs, output_plan
from bgremover.compose import is_transparent, prepared_background
from bgremover.errors import UsageError
from bgremover.models import load_model
from bgremover.options import CutOptions

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
) -> list[tuple[Path, str]]:
    """Cut the photos in ``folders`` into the folder ``output`` (as :func:`~bgremover.batch.cut_files`
    does), then each photo that appears or changes there, until ``stop`` is set or Ctrl-C; returns the
    (photo, reason) of every failure. The arguments are :func:`~bgremover.batch.cut_files`'s.

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
    jobs, out_dir = output_plan(folders, Path(output), not mask and is_transparent(background), None, photo_format)
    if out_dir is None or out_dir != Path(output):
        raise UsageError(f"--watch writes into a folder; {output} names a file")
    background = background if mask else prepared_background(background)
    segmenter = load_model(model, device=device, backend=backend, precision=precision)
    stop = stop or threading.Event()
    seen = {path: file_state(path) for path, _ in jobs}
    failures: list[tuple[Path, str]] = []

    def cut(batch: list[tuple[Path, Path]]) -> None:
        failures.extend(cut_jobs(segmenter, batch, out_dir, output, background, mask, options, overwrite))

    try:
        if jobs:
            cut(jobs)
        print(f"watching {', '.join(folders)} for photos (Ctrl-C stops)", file=sys.stderr, flush=True)
        still: dict[Path, tuple[tuple[int, int], float]] = {}  # a new photo's state, and since when it holds
        while not stop.wait(interval):
            now, ready, changed = time.monotonic(), [], {}
            for path, relative in output_plan(folders, out_dir, False, None, photo_format)[0]:
                state = file_state(path)
                if state is None or state == seen.get(path):
                    continue
                known = still.get(path)
                changed[path] = (state, known[1] if known and known[0] == state else now)
                if now - changed[path][1] >= settle:
                    ready.append((path, relative))
            still = changed
            if ready:
                seen.update((path, still.pop(path)[0]) for path, _ in ready)
                cut(ready)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    return failures
