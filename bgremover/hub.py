"""Resolving model sources: the committed default, named tiers, local folders, Hub repo ids."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from bgremover import settings
from bgremover.decoders.attention_unet import AttentionUNet
from bgremover.errors import ModelNotFoundError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class ModelTier:
    """A committed model under ``models/`` and how it is run by default."""

    folder: str
    working_size: int
    backend: str
    square: bool = False  # input resized to working_size² whatever its aspect (as MediaPipe does)


NAMED_MODELS = {
    "default": ModelTier("bgremover-lite2", working_size=512, backend="torch"),
    # real-time: the default model fine-tuned for a 256² input; OpenVINO where the CPU has bf16, else ONNX Runtime
    "fast": ModelTier("bgremover-fast", working_size=256, backend="auto", square=True),
}
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def resolve_source(source: str | os.PathLike | None) -> str:
    """A local folder path or a validated Hub repo id for ``source``.

    ``None``: ``$BGREMOVER_MODEL`` if set, else the committed default model. Names in
    ``NAMED_MODELS`` map to folders under ``models/``.

    Example:
        >>> resolve_source("user/my-model")
        'user/my-model'
    """
    source = str(source if source is not None else settings.model())
    if source in NAMED_MODELS:
        folder = MODELS_DIR / NAMED_MODELS[source].folder
        if not tier_installed(source):
            raise ModelNotFoundError(f"the {source!r} model is not installed at {folder}")
        return str(folder)
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
            raise ModelNotFoundError(f"{path} is not a model folder (needs config.json and model.safetensors)")
        return str(path)
    if REPO_ID.match(source) and ".." not in source:
        return source
    raise ModelNotFoundError(
        f"model source {source!r} is not one of {sorted(NAMED_MODELS)}, a model folder, or a Hub repo id 'user/name'"
    )


def tier_installed(name: str) -> bool:
    """Whether the named tier's folder is present under ``models/``."""
    return (MODELS_DIR / NAMED_MODELS[name].folder / "config.json").is_file()


def model_tier(source: str | os.PathLike | None) -> ModelTier | None:
    """The tier ``source`` names or whose folder it points to (``None`` for any other model)."""
    source = source if source is not None else settings.model()
    if str(source) in NAMED_MODELS:
        return NAMED_MODELS[str(source)]
    path = Path(source).expanduser().resolve()
    return next((tier for tier in NAMED_MODELS.values() if path == MODELS_DIR / tier.folder), None)


def model_class(config: dict) -> type[nn.Module]:
    """The class a ``config.json`` was written by: an smp baseline when it names one, else the Attention U-Net."""
    from bgremover.decoders.smp_baselines import SMP_ARCHITECTURES, SmpBaseline

    return SmpBaseline if config.get("arch") in SMP_ARCHITECTURES else AttentionUNet


def load_network(source: str | os.PathLike | None = None) -> nn.Module:
    """``from_pretrained`` of the right class on the resolved source (safetensors only), in eval mode."""
    resolved = resolve_source(source)
    if Path(resolved).is_dir():
        config_path = Path(resolved) / "config.json"
    else:
        from huggingface_hub import hf_hub_download

        config_path = Path(hf_hub_download(resolved, "config.json"))
    config = json.loads(config_path.read_text())
    return model_class(config).from_pretrained(resolved).eval()
