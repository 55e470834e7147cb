"""Cutting many files: folder walking, structure-preserving outputs, per-file error reports."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from bgremover.compose import compose, prepared_background
from bgremover.constants import DEFAULT_SUBJECT, IMAGE_SUFFIXES, MULTISCALE, OUTPUT_IMAGE_SUFFIXES
from bgremover.inference import load_model
from bgremover.io import BadImageError, read_image


def collect_inputs(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(file, output path relative to the output folder) for files and folders (recursive)."""
    jobs: list[tuple[Path, Path]] = []
    for item in map(Path, inputs):
        if item.is_dir():
            for path in sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
                jobs.append((path, path.relative_to(item).with_suffix(".png")))
        else:
            jobs.append((item, Path(item.name).with_suffix(".png")))
    return distinct_outputs(jobs)


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
        (path, relative.with_name(f"{path.name}.png") if counts[relative] > 1 else relative) for path, relative in jobs
    ]
    if len({relative for _, relative in renamed}) < len(renamed):
        clashes = sorted({str(r) for _, r in renamed if sum(1 for _, o in renamed if o == r) > 1})
        raise ValueError(
            f"several inputs would be written to the same file: {', '.join(clashes)}; cut them into separate folders"
        )
    return renamed


SAVE_OPTIONS = {".webp": {"lossless": True}, ".jpg": {"quality": 95}, ".jpeg": {"quality": 95}}


def output_plan(inputs: list[str], output: Path, transparent: bool) -> tuple[list[tuple[Path, Path]], Path]:
    """(jobs, folder they are written under): :func:`collect_inputs` for an output folder; the one
    input photo and the file's own name when ``output`` names an image file.

    Example:
        >>> output_plan(["a/photo.jpg"], Path("cut.webp"), transparent=True)
        ([(PosixPath('a/photo.jpg'), PosixPath('cut.webp'))], PosixPath('.'))
    """
    if output.suffix.lower() not in OUTPUT_IMAGE_SUFFIXES:
        return collect_inputs(inputs), output
    if len(inputs) != 1 or Path(inputs[0]).is_dir():
        raise ValueError(f"{output} names one file, but several images or a folder were given: name a folder")
    if transparent and output.suffix.lower() in (".jpg", ".jpeg"):
        raise ValueError(f"{output}: JPEG has no transparency; name a .png or .webp file, or give --bg")
    return [(Path(inputs[0]), Path(output.name))], output.parent


def cut_files(
    inputs: list[str],
    output: str | Path,
    model: str | None = None,
    device: str | None = None,
    backend: str | None = None,
    background="transparent",
    mask: bool = False,
    tta: bool = False,
    multiscale: bool = False,
    refine: bool = False,
    subject: str = DEFAULT_SUBJECT,
    precision: str | None = None,
    overwrite: bool = False,
) -> list[tuple[Path, str]]:
    """Cut every image in ``inputs`` (files and folders, recursively) into the folder ``output``
    (structure kept, PNG), or one image into the file ``output`` when it ends in .png, .webp or .jpg;
    returns the (file, reason) of each failure after reporting it. An existing output is replaced
    only with ``overwrite``, and an input photo never (the output folder may hold them)."""
    jobs, out_dir = output_plan(inputs, Path(output), transparent=not mask and background in ("transparent", "none"))
    if not jobs:
        looked = ", ".join(sorted({suffix.lstrip(".") for suffix in IMAGE_SUFFIXES}))
        print(f"no images found in {', '.join(inputs)} (looked for {looked})", file=sys.stderr)
        return [(Path(item), "no images") for item in inputs]
    background = background if mask else prepared_background(background)
    segmenter = load_model(model, device=device, backend=backend, precision=precision)
    failures: list[tuple[Path, str]] = []
    originals = {path.resolve() for path, _ in jobs}
    scales = MULTISCALE if multiscale else (1.0,)
    for path, relative in tqdm(jobs, desc="cutting", unit="img", disable=not jobs):
        target = out_dir / relative
        try:
            if target.resolve() in originals:
                raise ValueError(f"its output {target} would replace an input photo: choose another output folder")
            if target.exists() and not overwrite:
                raise ValueError(f"{target} exists: pass --overwrite to replace it")
            rgb = read_image(path, segmenter.max_pixels)
            alpha = segmenter.predict(rgb, tta=tta, scales=scales, refine=refine, subject=subject)
            result = (
                Image.fromarray(np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8), "L")
                if mask
                else compose(rgb, alpha, background)
            )
        except (BadImageError, ValueError) as err:
            failures.append((path, str(err)))
            tqdm.write(f"skipped {path}: {err}", file=sys.stderr)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        result.save(target, **SAVE_OPTIONS.get(target.suffix.lower(), {}))
    done = len(jobs) - len(failures)
    print(f"{done} of {len(jobs)} images written to {output}" + (f"; {len(failures)} failed" if failures else ""))
    return failures
