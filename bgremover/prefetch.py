"""Fetch ahead what the shipped models would download at their first use, as ``rembg d`` does: for a
Docker image's build step, a machine about to go offline, a server that should not wait on its first
request. The default and fast tiers ship inside the package; the fused tiers need their peer's file
(:mod:`bgremover.peers`), checked by sha256 wherever it comes from.

Example:
    >>> from bgremover.prefetch import pinned_files
    >>> [spec.file_name for spec in pinned_files("best")], pinned_files("default")
    (['u2net.onnx'], [])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from bgremover.pretrained import list_pretrained, pretrained_model
from bgremover.weights import PinnedFile, WeightsUnavailableError

SHIPPED = "ships inside the package"
DOWNLOADED = "downloaded"
PRESENT = "already there"


@dataclass(frozen=True)
class Fetched:
    """What one shipped model needs from the network, and where it is now: ``file`` (``None`` for a model
    that ships whole), its checked ``path``, ``how`` it got there (:data:`SHIPPED`, :data:`DOWNLOADED`,
    :data:`PRESENT`), or the ``error`` that kept it from being fetched."""

    model: str
    file: PinnedFile | None = None
    path: Path | None = None
    how: str = SHIPPED
    error: str | None = None


def pinned_files(name: str) -> list[PinnedFile]:
    """The files the shipped model ``name`` downloads at first use (a fused tier's peer), none for the
    others; :class:`~bgremover.errors.ModelNotFoundError` for a name the registry does not hold."""
    model = pretrained_model(name)
    if not model.fused:
        return []
    from bgremover.fusion import FusionConfig
    from bgremover.peers import peer_spec

    return [peer_spec(FusionConfig.load(model.folder).peer)]


def prefetch(names: Iterable[str] | None = None) -> Iterator[Fetched]:
    """Each named shipped model's downloads (all installed models by default), fetched and checked once
    each, as they complete; a file that cannot be fetched is reported in its :class:`Fetched` and the
    others still are. Every name is checked before anything is fetched."""
    names = list(names) if names else list_pretrained()
    needs = {name: pinned_files(name) for name in names}
    done: dict[str, Fetched] = {}
    for name, files in needs.items():
        if not files:
            yield Fetched(name)
        for spec in files:
            if spec.file_name not in done:
                before = spec.located()
                try:
                    path = spec.weights()
                except WeightsUnavailableError as err:
                    done[spec.file_name] = Fetched(name, spec, error=str(err))
                else:
                    done[spec.file_name] = Fetched(name, spec, path, PRESENT if before else DOWNLOADED)
            yield replace(done[spec.file_name], model=name)
