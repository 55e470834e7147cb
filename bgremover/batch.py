"""Cutting many files: folder walking, structure-preserving outputs, per-file error reports."""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from bgremover.compose import compose, is_transparent, prepared_background
from bgremover.constants import (
    IMAGE_SUFFIXES,
    OUTPUT_IMAGE_SUFFIXES,
    PHOTO_FORMATS,
    PNG_OPTIONS,
    VIDEO_OUTPUT_SUFFIXES,
    VIDEO_SUFFIXES,
)
from bgremover.errors import UsageError
from bgremover.imageops import alpha_to_uint8
from bgremover.io import BadImageError, read_image
from bgremover.models import load_model
from bgremover.options import CutOptions


def collect_inputs(
    inputs: list[str], unreadable: list[tuple[Path, str]] | None = None, exclude: Path | None = None
) -> list[tuple[Path, Path]]:
    """(file, output path relative to the output folder) for files and folders (recursive); a
    subfolder that cannot be listed is added to ``unreadable`` with the reason, not skipped in silence.
    A folder's hidden files and subfolders (``.name``: a copy in progress, macOS's ``._photo.jpg``) and
    the folder ``exclude`` (an output folder inside an input folder: cut-outs are not cut again) are
    left out; files named one by one are always taken."""
    jobs: list[tuple[Path, Path]] = []
    for item in map(Path, inputs):
        if str(item) == STDIO:
            jobs.append((item, Path("stdin.png")))
        elif item.is_dir():
            found = files_in(item, IMAGE_SUFFIXES, unreadable, exclude)
            jobs += [(path, path.relative_to(item).with_suffix(".png")) for path in found]
        else:
            jobs.append((item, Path(item.name).with_suffix(".png")))
    return distinct_outputs(jobs)


def folder_videos(inputs: list[str], exclude: Path | None = None) -> list[tuple[Path, Path]]:
    """(video, its path relative to the output folder, without a suffix) for the videos inside the
    folders among ``inputs``, left out and named as :func:`collect_inputs` leaves out and names photos
    (two clips whose names differ only in the suffix keep it: ``clip.mp4``, ``clip.mov``).

    Example:
        >>> folder_videos(["/nonexistent", "clip.mp4"])
        []
    """
    jobs = []
    for folder in (Path(item) for item in inputs if Path(item).is_dir()):
        found = files_in(folder, VIDEO_SUFFIXES, None, exclude)
        jobs += [(path, path.relative_to(folder).with_suffix("")) for path in found]
    return distinct_outputs(jobs)


def files_in(
    folder: Path, suffixes: Sequence[str], unreadable: list[tuple[Path, str]] | None, exclude: Path | None
) -> list[Path]:
    """The files under ``folder`` (recursive, sorted) whose suffix is one of ``suffixes``, hidden files
    and folders and the folder ``exclude`` left out; a subfolder that cannot be listed is added to
    ``unreadable``."""
    skip = None if exclude is None else exclude.resolve()
    found = []

    def report(err: OSError) -> None:
        if unreadable is not None:
            unreadable.append((Path(err.filename), f"cannot list the folder: {err.strerror.lower()}"))

    for root, folders, names in os.walk(folder, onerror=report):
        folders[:] = [f for f in folders if not f.startswith(".") and (Path(root) / f).resolve() != skip]
        found += [Path(root) / n for n in names if not n.startswith(".") and Path(n).suffix.lower() in suffixes]
    return sorted(found)


def distinct_outputs(jobs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """Give inputs whose outputs would collide (``photo.webp`` and ``photo.tiff`` → ``photo.png``)
    names that keep their own suffix (``photo.webp.png``, ``photo.tiff.png``), so none overwrites another.

    Example:
        >>> jobs = [(Path("a/p.webp"), Path("p.png")), (Path("b/p.tiff"), Path("p.png"))]
        >>> [str(out) for _, out in distinct_outputs([*jobs, (Path("q.jpg"), Path("q.png"))])]
        ['p.webp.png', 'p.tiff.png', 'q.png']
    """
    counts: dict[Path, int] = {}
    for _, relative in jobs:
        counts[relative] = counts.get(relative, 0) + 1
    renamed = [
        (path, relative.with_name(f"{path.name}{relative.suffix}") if counts[relative] > 1 else relative)
        for path, relative in jobs
    ]
    if len({relative for _, relative in renamed}) < len(renamed):
        clashes = sorted({str(r) for _, r in renamed if sum(1 for _, o in renamed if o == r) > 1})
        raise UsageError(
            f"several inputs would be written to the same file: {', '.join(clashes)}; cut them into separate folders"
        )
    return renamed


STDIO = "-"  # as an input: the image's bytes on stdin; as the output: one PNG on stdout


def check_folder(folder: Path) -> None:
    """Refuse an output folder that is, or lies under, an existing file (``-o notes.txt``,
    ``-o notes.txt/out``) before anything is cut.

    Example:
        >>> check_folder(Path("/nonexistent/cutouts"))
    """
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise UsageError(f"{part} is a file, so the output cannot go in {folder}: name a folder")
            return


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file: the same file under another name or a hard link."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


# WebP: lossless, and exact, so the colour under fully transparent pixels is kept as in a PNG (an editor
# that widens the matte later finds the photo there, not libwebp's fill)
SAVE_OPTIONS = {
    ".png": PNG_OPTIONS,
    ".webp": {"lossless": True, "exact": True},
    ".jpg": {"quality": 95},
    ".jpeg": {"quality": 95},
}


def save_whole(image: Image.Image, target: Path) -> None:
    """Write ``image`` to ``target`` (its format from the suffix) under a hidden name beside it, then
    rename it into place: whoever reads the folder (a watcher, a sync client) sees only whole files,
    and a stopped or failed write leaves no partial file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{os.getpid()}.part")  # two processes cutting into one folder keep apart
    options = {
        "format": Image.registered_extensions()[target.suffix.lower()],
        **SAVE_OPTIONS.get(target.suffix.lower(), {}),
    }
    try:
        image.save(part, **options)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def output_plan(
    inputs: list[str],
    output: Path,
    transparent: bool,
    unreadable: list[tuple[Path, str]] | None = None,
    photo_format: str | None = None,
) -> tuple[list[tuple[Path, Path]], Path | None]:
    """(jobs, folder they are written under): :func:`collect_inputs` for an output folder, the cut-outs
    in ``photo_format`` (one of :data:`~bgremover.constants.PHOTO_FORMATS`; default png); the one input
    photo and the file's own name when ``output`` names an image file; the one photo and ``None``
    (stdout, PNG) for ``-``.

    Example:
        >>> output_plan(["a/photo.jpg"], Path("cut.webp"), transparent=True)
        ([(PosixPath('a/photo.jpg'), PosixPath('cut.webp'))], PosixPath('.'))
    """
    if photo_format is not None and photo_format not in PHOTO_FORMATS:
        raise UsageError(f"the photo format must be one of {', '.join(PHOTO_FORMATS)}, got {photo_format!r}")
    single = len(inputs) == 1 and not Path(inputs[0]).is_dir()
    suffix = output.suffix.lower()
    if photo_format is not None and str(output) == STDIO:
        raise UsageError("the photo format applies to an output folder; -o - writes PNG")
    if photo_format is not None and suffix in OUTPUT_IMAGE_SUFFIXES:
        raise UsageError(f"the photo format applies to an output folder; {output} names a file, in its suffix's format")
    if str(output) == STDIO:
        if not single:
            raise UsageError("-o - writes one image to stdout, but several images or a folder were given")
        return collect_inputs(inputs, unreadable), None
    if suffix not in OUTPUT_IMAGE_SUFFIXES and suffix in (*IMAGE_SUFFIXES, *VIDEO_SUFFIXES, *VIDEO_OUTPUT_SUFFIXES):
        raise UsageError(f"{output}: photos are written as .png, .webp or .jpg files, or into a folder")
    if suffix not in OUTPUT_IMAGE_SUFFIXES:
        if transparent and photo_format == "jpg":
            raise UsageError("JPEG has no transparency; write png or webp cut-outs, or give a background (--bg)")
        check_folder(output)
        jobs = collect_inputs(inputs, unreadable, exclude=output)
        return [(path, relative.with_suffix(f".{photo_format or 'png'}")) for path, relative in jobs], output
    check_folder(output.parent)
    if not single:
        raise UsageError(f"{output} names one file, but several images or a folder were given: name a folder")
    if transparent and output.suffix.lower() in (".jpg", ".jpeg"):
        raise UsageError(f"{output}: JPEG has no transparency; name a .png or .webp file, or give --bg")
    return [(Path(inputs[0]), Path(output.name))], output.parent


def render(rgb: np.ndarray, alpha: np.ndarray, background="transparent", mask: bool = False, options=None):
    """What ``bgremover cut`` writes for a photo and its alpha: the alpha as an 8-bit grey image with
    ``mask``, else the cut-out over ``background`` (RGBA when transparent). Every engine renders through
    this (and :func:`cut_many`), so a photo cut on a cluster equals the one cut by the plain CLI."""
    if mask:
        return Image.fromarray(alpha_to_uint8(alpha), "L")
    return compose(rgb, alpha, background, (options or CutOptions()).foreground_estimation)


GPU_BATCH = 8  # photos per network call on a GPU (one at a time on a CPU, where batches gain nothing)
# photos cut at once on a CPU: one is read, rendered and written while the other is in the network (one
# network call at a time, Segmenter.network_lock), so the cores stay busy (python -m benchmarks.ray)
CPU_PHOTOS_IN_FLIGHT = 2


def cut_many(segmenter, sources: list, background="transparent", mask: bool = False, options=None) -> list:
    """Several photos at once: each source (a path, bytes, a file object, or a function returning one)
    is decoded, the decoded photos go through the network in one call (those it sees at one size
    together: a GPU's batch), and each is rendered (:func:`render`). Returns (image, "") for each photo
    cut and (None, the library's reason) for each that could not be."""
    options = options or CutOptions()
    results: list = [(None, "")] * len(sources)
    decoded = {}
    for i, source in enumerate(sources):
        try:
            decoded[i] = read_image(source() if callable(source) else source, segmenter.max_pixels)
        except (BadImageError, ValueError, OSError) as err:
            results[i] = (None, str(err) or type(err).__name__)
    alphas = options.alphas(segmenter, list(decoded.values())) if decoded else []
    for i, alpha in zip(decoded, alphas, strict=True):
        try:
            results[i] = (render(decoded[i], alpha, background, mask, options), "")
        except (BadImageError, ValueError, OSError) as err:
            results[i] = (None, str(err) or type(err).__name__)
    return results


def cut_files(
    inputs: list[str],
    output: str | Path,
    model: str | None = None,
    device: str | None = None,
    backend: str | None = None,
    background="transparent",
    mask: bool = False,
    options: CutOptions | None = None,
    precision: str | None = None,
    overwrite: bool = False,
    batch_size: int | None = None,
    in_flight: int | None = None,
    photo_format: str | None = None,
) -> list[tuple[Path, str]]:
    """Cut every image in ``inputs`` (files and folders, recursively; ``-``: stdin) into the folder ``output``
    (structure kept, PNG or ``photo_format``: webp, jpg), or one image into the file ``output`` when it ends in
    .png, .webp or .jpg, or onto stdout as PNG for ``-``; returns the (file, reason) of each failure after reporting
    it. An existing output is kept and counted in the summary, not a failure (a rerun resumes), and replaced only
    with ``overwrite``; an input photo never is (the output folder may hold them). ``options``: TTA, subject,
    threshold and the rest (:class:`~bgremover.options.CutOptions`). ``batch_size``: photos per network call
    (default: 8 on a GPU, 1 on a CPU). ``in_flight``: network calls' photos under way at once, each call in its own
    thread, one in the network at a time while the others are read, rendered and written (default:
    :data:`CPU_PHOTOS_IN_FLIGHT` on a CPU, 1 on a GPU or onto stdout); failures are reported in the inputs' order
    whatever finishes first."""
    options = options or CutOptions()
    if in_flight is not None and in_flight < 1:
        raise UsageError(f"in_flight must be 1 or more (photos under way at once), got {in_flight}")
    unreadable: list[tuple[Path, str]] = []
    transparent = not mask and is_transparent(background)
    jobs, out_dir = output_plan(inputs, Path(output), transparent, unreadable, photo_format)
    for folder, reason in unreadable:
        print(f"skipped {folder}: {reason}", file=sys.stderr)
    if not jobs and unreadable:
        return unreadable
    if not jobs:
        looked = ", ".join(sorted({suffix.lstrip(".") for suffix in IMAGE_SUFFIXES}))
        print(f"no images found in {', '.join(inputs)} (looked for {looked})", file=sys.stderr)
        return [(Path(item), "no images") for item in inputs]
    background = background if mask else prepared_background(background)
    segmenter = load_model(model, device=device, backend=backend, precision=precision)
    return cut_jobs(
        segmenter, jobs, out_dir, output, background, mask, options, overwrite, batch_size, in_flight, unreadable
    )


def cut_jobs(
    segmenter,
    jobs: list[tuple[Path, Path]],
    out_dir: Path | None,
    output: str | Path,
    background="transparent",
    mask: bool = False,
    options: CutOptions | None = None,
    overwrite: bool = False,
    batch_size: int | None = None,
    in_flight: int | None = None,
    failed_before: Sequence[tuple[Path, str]] = (),
) -> list[tuple[Path, str]]:
    """:func:`cut_files` once its jobs are planned (:func:`output_plan`) and its model loaded: cut each
    (photo, output path relative to ``out_dir``; ``out_dir`` ``None``: stdout), report each failure and
    a summary naming ``output`` that counts ``failed_before`` too (folders that could not be listed),
    and return all the failures. ``background`` is prepared (:func:`~bgremover.compose.prepared_background`)."""
    options = options or CutOptions()
    failures: list[tuple[Path, str]] = list(failed_before)
    originals = {file_identity(path) for path, _ in jobs} - {None}  # hard links and symlinks included
    per_call = batch_size or (GPU_BATCH if segmenter.on_gpu else 1)
    if in_flight is None:
        in_flight = 1 if segmenter.on_gpu or out_dir is None else CPU_PHOTOS_IN_FLIGHT
    if in_flight > 1:
        segmenter.network_lock = threading.Lock()
    progress = tqdm(total=len(jobs), desc="cutting", unit="img", disable=not jobs)

    def skip(path: Path, reason: str) -> None:
        failures.append((path, reason))
        tqdm.write(f"skipped {'stdin' if str(path) == STDIO else path}: {reason}", file=sys.stderr)

    def cut_and_write(ready: list[tuple[Path, Path | None]]) -> list[tuple[Path, str]]:
        """Cut one network call's photos and write each; the (photo, reason) of those that failed."""
        sources = [(lambda p=path: sys.stdin.buffer.read() if str(p) == STDIO else p) for path, _ in ready]
        failed = []
        for (path, target), (result, reason) in zip(
            ready, cut_many(segmenter, sources, background, mask, options), strict=True
        ):
            if result is None:
                failed.append((path, reason))
            elif target is None:
                result.save(sys.stdout.buffer, **PNG_OPTIONS)
                sys.stdout.flush()
            else:
                save_whole(result, target)
        return failed

    under_way: deque = deque()  # (photos, those refused before the call, the call's future), oldest first
    kept: list[Path] = []  # outputs already there, kept (replaced only with ``overwrite``)

    def report_oldest() -> None:
        count, refused, future = under_way.popleft()
        for path, reason in refused + future.result():  # a write error (a full disk) is raised here
            skip(path, reason)
        progress.update(count)

    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="bgremover-cut") as pool:
        try:
            for start in range(0, len(jobs), per_call):
                ready, refused = [], []
                for path, relative in jobs[start : start + per_call]:
                    target = None if out_dir is None else out_dir / relative
                    if target is not None and file_identity(target) in originals:
                        refused.append(
                            (path, f"its output {target} would replace an input photo: choose another output folder")
                        )
                    elif target is not None and target.exists() and not overwrite:
                        kept.append(target)  # a rerun resumes: what is there stays, and is counted
                    else:
                        ready.append((path, target))
                call = pool.submit(cut_and_write, ready)
                under_way.append((len(jobs[start : start + per_call]), refused, call))
                if len(under_way) >= in_flight:
                    report_oldest()
            while under_way:
                report_oldest()
        finally:  # an error or Ctrl-C: the calls under way finish their files, the rest never start
            pool.shutdown(wait=True, cancel_futures=True)
            progress.close()  # now, not when the interpreter exits after whatever is printed next
    done = len(jobs) - len(failures) - len(kept) + len(failed_before)
    summary = f"{done} of {len(jobs)} images written to {'stdout' if out_dir is None else output}"
    if kept:
        summary += f", {len(kept)} already there (kept; --overwrite replaces {'it' if len(kept) == 1 else 'them'})"
    print(summary + (f"; {len(failures)} failed" if failures else ""), file=sys.stdout if out_dir else sys.stderr)
    return failures
