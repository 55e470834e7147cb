"""Resolving model sources: the shipped tiers, local folders, Hub repo ids; reading their config.json."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bgremover import settings
from bgremover.errors import ModelNotFoundError
from bgremover.pretrained import PRETRAINED, pretrained_model
from bgremover.run_config import RunConfig

if TYPE_CHECKING:
    from torch import nn

_CHECKOUT = Path(__file__).resolve().parent.parent
# a checkout's other models (experiments, compared on the leaderboard); an installed package has none
# (its parent is site-packages, whose "models" would be another distribution's)
MODELS_DIR: Path | None = _CHECKOUT / "models" if (_CHECKOUT / "pyproject.toml").is_file() else None
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def resolve_source(source: str | os.PathLike | None) -> str:
    """A local folder path or a validated Hub repo id for ``source``.

    ``None``: ``$BGREMOVER_MODEL`` if set, else the shipped default model. The names of
    :mod:`bgremover.pretrained`'s registry map to the folders shipped inside the package.

    Example:
        >>> resolve_source("user/my-model")
        'user/my-model'
    """
    source = str(source if source is not None else settings.model())
    if source in PRETRAINED:
        return str(pretrained_model(source).folder)
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
            raise ModelNotFoundError(f"{path} is not a model folder (needs config.json and model.safetensors)")
        return str(path)
    if REPO_ID.match(source) and ".." not in source:
        return source
    raise ModelNotFoundError(
        f"model source {source!r} is not one of {sorted(PRETRAINED)}, a model folder, or a Hub repo id 'user/name'"
    )


def read_config(source: str | os.PathLike | None) -> dict:
    """The ``config.json`` of a model folder or Hub repo (the Hub cache is used, ``HF_HUB_OFFLINE`` respected)."""
    resolved = resolve_source(source)
    if Path(resolved).is_dir():
        return json.loads((Path(resolved) / "config.json").read_text())
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return json.loads(Path(hf_hub_download(resolved, "config.json")).read_text())
    except LocalEntryNotFoundError:
        raise ModelNotFoundError(
            f"model {resolved!r} is not in the local Hugging Face cache and the Hub cannot be reached"
            " (offline, or HF_HUB_OFFLINE is set)"
        ) from None
    except HfHubHTTPError as err:
        status = getattr(err.response, "status_code", None)
        raise ModelNotFoundError(
            f"model {resolved!r} could not be fetched from the Hugging Face Hub (HTTP {status}:"
            " no such repository, or it is private)"
        ) from None


def run_config(source: str | os.PathLike | None) -> RunConfig:
    """How ``source`` runs by default: its config.json's run block (defaults where it has none)."""
    return RunConfig.from_config(read_config(source))


def load_network(source: str | os.PathLike | None = None) -> nn.Module:
    """``from_pretrained`` of the class config.json names (``"arch"``, the registry in
    :mod:`bgremover.factory`; safetensors only), in eval mode, with its run config attached."""
    from bgremover.factory import DEFAULT_ARCH, architecture

    config = read_config(source)
    # huggingface_hub prints "Loading weights from local directory" on stdout, where `cut - -o -` writes its PNG
    with contextlib.redirect_stdout(sys.stderr):
        network = architecture(config.get("arch", DEFAULT_ARCH)).load().from_pretrained(resolve_source(source))
    network.run_config = RunConfig.from_config(config)
    return network.eval()


def set_run_config(folder: str | os.PathLike, run: RunConfig) -> None:
    """Rewrite a model folder's run block (e.g. after training a model for another working size).

    Example:
        >>> set_run_config("runs/fast/best", RunConfig(working_size=256, square=True, backend="auto"))  # doctest: +SKIP
    """
    path = Path(folder) / "config.json"
    config = json.loads(path.read_text())
    previous = RunConfig.from_config(config)
    config["run"] = dataclasses.replace(run, mean=previous.mean, std=previous.std).to_dict()
    path.write_text(json.dumps(config, indent=2) + "\n")
