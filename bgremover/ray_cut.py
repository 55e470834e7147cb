"""Cutting collections beyond one machine with Ray Data (``pip install "bgremover[ray]"``).

The photos are listed once on the driver (folders, globs, files; local paths or any pyarrow filesystem
URI such as ``s3://bucket/photos``), photos whose output already exists are skipped (a rerun resumes),
and the rest go through :meth:`ray.data.Dataset.map_batches` to a pool of actors that each load the
model once (one GPU per actor where the cluster has GPUs). Each actor reads, cuts and writes its photos
itself with the same code as ``bgremover cut`` (:func:`bgremover.batch.cut_many`), so the outputs are
those of the plain CLI: the input tree mirrored as PNG cut-outs, masks (``mask=True``) or photos on a
new background, or, when the output ends in ``.parquet``, a Parquet dataset of masks. A photo that
cannot be cut never stops the job: it is listed, with the reason in the library's words, in
``_failures.csv`` in the output folder. Ray is imported only here, never by ``import bgremover``.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bgremover.batch import check_folder, collect_inputs, cut_many, distinct_outputs
from bgremover.compose import is_transparent, prepared_background
from bgremover.constants import IMAGE_SUFFIXES, PNG_OPTIONS
from bgremover.errors import BadImageError, MissingExtraError, UsageError
from bgremover.options import CutOptions

RAY_MISSING = 'cutting with Ray needs Ray Data: pip install "bgremover[ray]"'
FAILURES = "_failures.csv"  # beside the outputs; "_" keeps it out of a Parquet dataset's files
PARQUET_SUFFIX = ".parquet"
GLOB_CHARS = "*?["
# Ray replaces a loopback address by the machine's outward one before connecting; a cluster whose
# nodes listen on loopback only (one machine, --node-ip-address=127.0.0.1) is then unreachable.
# This variable (read when Ray is imported) keeps the driver on loopback.
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@dataclass
class RayCutReport:
    """What a run did: photos written, photos skipped because their output existed, and failures."""

    written: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    manifest: str = ""

    def summary(self, output: str) -> str:
        done = f"{self.written} images written to {output}"
        if self.skipped:
            done += f", {self.skipped} already there"
        if self.failures:
            done += f"; {len(self.failures)} failed (listed in {self.manifest})"
        return done


def is_uri(path: str) -> bool:
    """Whether ``path`` names a filesystem by scheme (``s3://``, ``gs://``, ``file://``, ...).

    Example:
        >>> is_uri("s3://bucket/photos"), is_uri("photos/2024"), is_uri("C:/photos")
        (True, False, False)
    """
    scheme, sep, _ = path.partition("://")
    return bool(sep) and len(scheme) > 1


def filesystem(path: str):
    """(pyarrow filesystem, path inside it) for a local path or a URI."""
    from pyarrow import fs

    if is_uri(path):
        return fs.FileSystem.from_uri(path)
    return fs.LocalFileSystem(), os.path.abspath(path)


def join(base: str, relative: str) -> str:
    """``relative`` (a POSIX path) under ``base``, a local folder or a URI.

    Example:
        >>> join("s3://bucket/out", "a/b.png"), join("out", "a/b.png")
        ('s3://bucket/out/a/b.png', 'out/a/b.png')
    """
    return base.rstrip("/") + "/" + relative if is_uri(base) else str(Path(base) / relative)


def _list_uri(pattern: str) -> list[tuple[str, str]]:
    """(URI, relative output) of the images under a URI folder or matching a URI glob."""
    from pyarrow import fs as pafs

    scheme = pattern.split("://", 1)[0] + "://"
    parts = pattern[len(scheme) :].split("/")
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in GLOB_CHARS)), len(parts))
    base = scheme + "/".join(parts[:fixed])
    filesystem_, root = pafs.FileSystem.from_uri(base)
    info = filesystem_.get_file_info(root)
    if info.type == pafs.FileType.File and fixed == len(parts):
        return [(pattern, PurePosixPath(root).with_suffix(".png").name)]
    if info.type != pafs.FileType.Directory:
        raise BadImageError(f"{base} does not exist")
    found = filesystem_.get_file_info(pafs.FileSelector(root, recursive=True))
    wanted = "/".join(parts[fixed:])
    jobs = []
    for entry in sorted(found, key=lambda e: e.path):
        relative = entry.path[len(root) :].lstrip("/")
        if entry.type != pafs.FileType.File or PurePosixPath(relative).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if any(part.startswith(".") for part in PurePosixPath(relative).parts):  # as collect_inputs leaves them
            continue
        if wanted and not fnmatch.fnmatch(relative, wanted):
            continue
        jobs.append((scheme + entry.path, str(PurePosixPath(relative).with_suffix(".png"))))
    return jobs


def list_photos(inputs: list[str], exclude: Path | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(jobs, unreadable): each photo as (path or URI, output path relative to the output folder),
    the input tree mirrored as ``bgremover cut`` mirrors it (hidden files left out, and the local
    output folder ``exclude``); folders that cannot be listed with the reason. Local globs
    (``photos/**/*.jpg``) are expanded here, URI globs against the bucket."""
    import glob

    local: list[str] = []
    jobs: list[tuple[str, str]] = []
    for item in inputs:
        if is_uri(item):
            jobs += _list_uri(item)
        elif any(c in item for c in GLOB_CHARS) and not Path(item).exists():
            matched = sorted(glob.glob(item, recursive=True))
            local += [m for m in matched if Path(m).suffix.lower() in IMAGE_SUFFIXES]
        else:
            local.append(item)
    unreadable: list[tuple[Path, str]] = []
    if local:
        jobs += [(str(path), str(relative)) for path, relative in collect_inputs(local, unreadable, exclude)]
    renamed = distinct_outputs([(Path(path), Path(relative)) for path, relative in jobs])
    return [(path, str(relative)) for (path, _), (_, relative) in zip(jobs, renamed, strict=True)], [
        (str(path), reason) for path, reason in unreadable
    ]


def _existing(output: str, relatives: list[str]) -> set[str]:
    """The ``relatives`` that already exist under ``output``, asked in one call (one filesystem client,
    however many photos)."""
    from pyarrow import fs as pafs

    filesystem_, root = filesystem(output)
    infos = filesystem_.get_file_info([str(PurePosixPath(root) / relative) for relative in relatives])
    return {rel for rel, info in zip(relatives, infos, strict=True) if info.type != pafs.FileType.NotFound}


def _done_in_parquet(output: str) -> set[str]:
    """Inputs already cut into an existing Parquet output (rows without an error)."""
    import pyarrow.dataset as ds
    from pyarrow import fs as pafs

    filesystem_, root = filesystem(output)

    if filesystem_.get_file_info(root).type != pafs.FileType.Directory:
        return set()
    table = ds.dataset(root, filesystem=filesystem_, format="parquet").to_table(columns=["path", "error"])
    return {path for path, error in zip(*(table[c].to_pylist() for c in ("path", "error")), strict=True) if not error}


def _open_photo(path: str):
    """A local path as it is (the plain CLI reads it so), a URI's bytes as a file object named like
    the photo (so that errors name it)."""
    if not is_uri(path):
        return path
    filesystem_, inner = filesystem(path)
    with filesystem_.open_input_stream(inner) as stream:
        data = io.BytesIO(stream.read())
    data.name = PurePosixPath(inner).name
    return data


class _Cutter:
    """A Ray Data actor: loads the model once, then reads, cuts and writes batches of photos."""

    def __init__(self, output: str, job: dict, model_args: dict, parquet: bool):
        from bgremover.models import load_model

        self.output, self.job, self.parquet = output, dict(job), parquet
        self.filesystem, self.root = filesystem(output)  # one client for every write
        self.job["background"] = prepared_background(self.job["background"])
        self.segmenter = load_model(**model_args)

    def _write(self, relative: str, image) -> bool:
        """Write ``image`` as PNG at ``relative`` under the output; False when it is already there (a
        retried batch)."""
        from pyarrow import fs as pafs

        filesystem_, inner = self.filesystem, str(PurePosixPath(self.root) / relative)
        if not self.job["overwrite"] and filesystem_.get_file_info(inner).type != pafs.FileType.NotFound:
            return False
        buffer = io.BytesIO()
        image.save(buffer, **PNG_OPTIONS)
        filesystem_.create_dir(str(PurePosixPath(inner).parent), recursive=True)
        if isinstance(filesystem_, pafs.LocalFileSystem):  # complete or absent, never half-written
            partial = f"{inner}.{uuid.uuid4().hex}.partial"
            with filesystem_.open_output_stream(partial) as stream:
                stream.write(buffer.getvalue())
            os.replace(partial, inner)
        else:  # an object store's PUT is atomic
            with filesystem_.open_output_stream(inner) as stream:
                stream.write(buffer.getvalue())
        return True

    def __call__(self, batch: dict) -> dict:
        job = self.job
        out = {"path": list(batch["path"]), "relative": list(batch["relative"]), "status": [], "error": []}
        if self.parquet:
            out.update(alpha_png=[], height=[], width=[])
        sources = [(lambda p=path: _open_photo(p)) for path in out["path"]]
        results = cut_many(self.segmenter, sources, job["background"], job["mask"] or self.parquet, job["options"])
        for relative, (image, reason) in zip(out["relative"], results, strict=True):
            status = "failed" if image is None else "written"
            if image is not None and not self.parquet:
                try:
                    status = "written" if self._write(relative, image) else "existing"
                except OSError as err:
                    image, status, reason = None, "failed", str(err) or type(err).__name__
            out["status"].append(status)
            out["error"].append(reason)
            if self.parquet:
                png = b""
                if image is not None:
                    buffer = io.BytesIO()
                    image.save(buffer, **PNG_OPTIONS)
                    png = buffer.getvalue()
                out["alpha_png"].append(png)
                out["height"].append(image.height if image is not None else 0)
                out["width"].append(image.width if image is not None else 0)
        return out


def connect(address: str | None):
    """Join the cluster at ``address`` (``auto``: the one ``ray start`` made here), or start Ray on
    this machine bound to loopback, without the dashboard. Returns the ``ray`` module."""
    if address:
        host = address.split("://")[-1].rsplit(":", 1)[0]
        if host in ("127.0.0.1", "localhost", "::1", "[::1]"):
            os.environ.setdefault(LOOPBACK_ENV, "0")
    try:
        import ray
    except ImportError as err:
        raise MissingExtraError(RAY_MISSING) from err
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
    return ray


def cut_with_ray(
    inputs: list[str],
    output: str,
    model: str | None = None,
    background="transparent",
    mask: bool = False,
    options: CutOptions | None = None,
    backend: str | None = None,
    precision: str | None = None,
    overwrite: bool = False,
    address: str | None = None,
    actors: int | None = None,
    gpus_per_actor: float | None = None,
    cpus_per_actor: float = 1.0,
    batch_size: int = 8,
    photo_format: str | None = None,
) -> RayCutReport:
    """Cut every photo in ``inputs`` into ``output`` on a Ray cluster (see the module's docstring).

    ``actors``: the most model copies at once (default: one per GPU, else one per ``cpus_per_actor``
    CPUs of the cluster); ``gpus_per_actor``: default 1 where the cluster has GPUs, else 0. Photos
    whose output exists are skipped unless ``overwrite``; ``options`` (TTA, subject, threshold and
    the rest: :class:`~bgremover.options.CutOptions`) and the others are ``bgremover cut``'s; the
    cut-outs are PNG (``photo_format`` ``None`` or ``"png"``).
    """
    if photo_format not in (None, "png"):
        raise UsageError(f"the Ray engine writes PNG cut-outs (or a Parquet of masks), not {photo_format}")
    options = options or CutOptions()
    parquet = output.rstrip("/").lower().endswith(PARQUET_SUFFIX)
    if not parquet and not is_uri(output):
        check_folder(Path(output))
    transparent = mask or parquet or is_transparent(background)
    if not transparent:
        prepared_background(background)  # a bad background is refused before the cluster starts
    jobs, unreadable = list_photos(inputs, None if parquet or is_uri(output) else Path(output))
    if not jobs and not unreadable:
        raise BadImageError(f"no images found in {', '.join(inputs)}")
    originals = {os.path.realpath(path) for path, _ in jobs if not is_uri(path)}
    report = RayCutReport(failures=list(unreadable))
    if parquet:
        done = set() if overwrite else _done_in_parquet(output)
        todo = [(path, relative) for path, relative in jobs if path not in done]
    else:
        targets = [join(output, relative) for _, relative in jobs]
        clashes = [t for t in targets if not is_uri(t) and os.path.realpath(t) in originals]
        if clashes:
            raise UsageError(f"{clashes[0]} would replace an input photo: choose another output folder")
        done = set() if overwrite else _existing(output, [relative for _, relative in jobs])
        todo = [(path, relative) for path, relative in jobs if relative not in done]
    report.skipped = len(jobs) - len(todo)
    if todo:
        ray = connect(address)
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0) if gpus_per_actor is None else gpus_per_actor
        per_actor = 1.0 if gpus_per_actor is None and gpus else (gpus_per_actor or 0.0)
        pool = actors or max(1, int(gpus // per_actor) if per_actor else int(resources.get("CPU", 1) // cpus_per_actor))
        pool = max(1, min(pool, -(-len(todo) // batch_size)))
        job = {"background": "transparent" if transparent else background, "mask": mask, "options": options}
        job["overwrite"] = overwrite
        model_args = {"source": model, "backend": backend, "precision": precision}
        dataset = ray.data.from_items([{"path": p, "relative": r} for p, r in todo]).map_batches(
            _Cutter,
            fn_constructor_kwargs={"output": output, "job": job, "model_args": model_args, "parquet": parquet},
            batch_size=batch_size,
            concurrency=(1, pool),
            num_cpus=cpus_per_actor,
            num_gpus=per_actor,
            batch_format="numpy",
        )
        if parquet:
            dataset.write_parquet(output)
            rows = ray.data.read_parquet(output).select_columns(["path", "status", "error"]).iter_rows()
            latest = {}
            for row in rows:  # rows of earlier runs included: a path counts as done once any run cut it
                if row["path"] not in latest or not row["error"]:
                    latest[row["path"]] = (row["status"], row["error"])
            todo_paths = {p for p, _ in todo}
            report.written = sum(1 for p, (_, e) in latest.items() if p in todo_paths and not e)
            report.failures += [(p, e) for p, (_, e) in latest.items() if p in todo_paths and e]
        else:
            for row in dataset.iter_rows():
                if row["status"] == "failed":
                    report.failures.append((row["path"], row["error"]))
                elif row["status"] == "written":
                    report.written += 1
                else:
                    report.skipped += 1
    report.manifest = join(output, FAILURES)
    _write_manifest(report.manifest, report.failures)
    return report


def _write_manifest(target: str, failures: list[tuple[str, str]]) -> None:
    """``path,error`` for every photo this run could not cut (rewritten by each run)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["path", "error"])
    writer.writerows(sorted(failures))
    filesystem_, inner = filesystem(target)
    filesystem_.create_dir(str(PurePosixPath(inner).parent), recursive=True)
    with filesystem_.open_output_stream(inner) as stream:
        stream.write(buffer.getvalue().encode())
