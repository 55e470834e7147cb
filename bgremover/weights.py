"""Where pretrained files come from: the normal online source, or a local weights directory.

A user with internet gets every pretrained file from its canonical source (HF Hub via timm,
torchvision). Machines without internet point ``BGREMOVER_WEIGHTS_DIR`` (or an explicit
``weights_dir`` argument) at a folder laid out like ``../shared/weights``::

    encoders/<timm_name>.<tag>.safetensors
    perceptual/vgg16_features_relu4_3.in1k.safetensors
    perceptual/alexnet_features.in1k.safetensors
    peers/u2netp.onnx, peers/mediapipe_selfie_segmentation.tflite, peers/palm_detection_full.tflite, ...

Example:
    >>> from bgremover.weights import local_weight_file
    >>> local_weight_file("encoders", "no_such_model.*.safetensors", weights_dir="/nonexistent") is None
    True
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from bgremover import settings
from bgremover.errors import WeightsUnavailableError


def resolve_weights_dir(override: str | os.PathLike | None = None) -> Path | None:
    """The local weights directory: ``override``, else ``$BGREMOVER_WEIGHTS_DIR``, else ``None``."""
    value = override if override is not None else settings.weights_dir()
    return Path(value) if value else None


def local_weight_file(subdir: str, pattern: str, weights_dir: str | os.PathLike | None = None) -> Path | None:
    """First file matching ``pattern`` in ``<weights dir>/<subdir>``, or ``None``."""
    root = resolve_weights_dir(weights_dir)
    if root is None or not (root / subdir).is_dir():
        return None
    matches = sorted((root / subdir).glob(pattern))
    return matches[0] if matches else None


def load_state_dict(path: str | os.PathLike) -> dict:
    """Load tensors from a safetensors file, or a ``.pt/.pth`` file with ``weights_only=True``.

    Never unpickles arbitrary objects.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise WeightsUnavailableError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


def source_url(file_name: str, url: str) -> str:
    """Where ``file_name`` is downloaded from: ``$BGREMOVER_MIRROR/<file_name>`` where a mirror is set (a
    company's artifact server, a proxy cache), else its public ``url``.

    Example:
        >>> import os
        >>> os.environ["BGREMOVER_MIRROR"] = "https://artifacts.example.com/bgremover/"
        >>> source_url("u2net.onnx", "https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net.onnx")
        'https://artifacts.example.com/bgremover/u2net.onnx'
        >>> del os.environ["BGREMOVER_MIRROR"]
    """
    import urllib.parse

    base = settings.mirror()
    return f"{base.rstrip('/')}/{urllib.parse.quote(file_name)}" if base else url


def located(file_name: str, subdir: str = "peers") -> Path | None:
    """Where a downloaded pretrained file already is, unchecked: ``<weights dir>/<subdir>/<file_name>``,
    else the cache; ``None`` before its first download."""
    path = local_weight_file(subdir, file_name) or settings.cache_dir() / file_name
    return path if path.is_file() else None


def verified_download(file_name: str, url: str, sha256: str, subdir: str = "peers") -> Path:
    """A pretrained file checked against ``sha256``: ``<weights dir>/<subdir>/<file_name>`` (the
    offline override), else the cache (``BGREMOVER_CACHE``), else fetched once from ``url`` (or the
    mirror, :func:`source_url`) into the cache. A file whose checksum differs is refused (a partial or
    altered download is never used). A download shows its progress on stderr when stderr is a terminal."""
    local = local_weight_file(subdir, file_name)
    target = local or settings.cache_dir() / file_name
    url = source_url(file_name, url)
    if not target.is_file():
        part = target.with_name(f"{file_name}.{os.getpid()}.part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _fetch(url, part, f"downloading {file_name} (once)")
        except OSError as err:
            part.unlink(missing_ok=True)
            raise WeightsUnavailableError(
                f"{file_name} is not in the weights dir ({settings.WEIGHTS_DIR}/{subdir}/) or the cache, and "
                f"the download from {url} failed ({err})"
            ) from None
        _check_sha256(part, sha256, url)
        os.replace(part, target)
        return target
    _check_sha256(target, sha256, url)
    return target


def _fetch(url: str, target: Path, description: str) -> None:
    """``url`` into ``target``, with a progress bar on stderr where stderr is a terminal."""
    import sys
    import urllib.request

    from tqdm import tqdm

    with tqdm(
        desc=description, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, disable=not sys.stderr.isatty()
    ) as bar:

        def report(blocks: int, block_size: int, total: int) -> None:
            done = blocks * block_size
            if total > 0:  # a server that sends no length: a count without a total
                bar.total, done = total, min(done, total)
            bar.update(done - bar.n)

        urllib.request.urlretrieve(url, target, reporthook=report)


@dataclass(frozen=True)
class PinnedFile:
    """A pretrained file from a public source (``url``), checked against ``sha256``; ``file_name`` in
    ``<weights dir>/peers/`` is the offline override (:func:`verified_download`)."""

    file_name: str
    url: str
    sha256: str

    def weights(self) -> Path:
        """The checked file: the weights dir, the cache, or one download."""
        return verified_download(self.file_name, self.url, self.sha256)

    def located(self) -> Path | None:
        """Where the file already is, unchecked (:func:`located`)."""
        return located(self.file_name)


def _check_sha256(path: Path, sha256: str, url: str) -> None:
    stat = path.stat()
    if _sha256_of(str(path), stat.st_size, stat.st_mtime_ns) != sha256:
        if path.name.endswith(".part"):
            path.unlink(missing_ok=True)
        raise WeightsUnavailableError(
            f"{path} does not have the published checksum (sha256 {sha256[:12]}...); fetch it again from {url}"
        )


@functools.lru_cache(maxsize=8)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    """The file's sha256, read once per (path, size, modification time): a 176 MB file loaded for
    every benchmark set is hashed once, and a file changed on disk is hashed again."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
