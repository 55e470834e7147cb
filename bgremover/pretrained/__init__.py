"""The registry of shipped models: every name :func:`bgremover.load_model` accepts, the folder of package
data beside this file that holds it (``config.json``, weights, model card), and how apps present it.

Pure Python: listing the models loads neither torch nor a model.

Example:
    >>> from bgremover import list_pretrained
    >>> list_pretrained()
    ['best', 'default', 'fast', 'fast-plus']
    >>> list_pretrained("f*")
    ['fast', 'fast-plus']
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path

from bgremover.errors import ModelNotFoundError

PRETRAINED_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PretrainedModel:
    """One shipped model: its ``name`` (what ``load_model`` takes), its ``folder_name`` here, the
    ``label`` and ``note`` an app shows it by, and ``on_demand`` when it loads something large at first
    use (an app loads it at the first request that names it, not at start)."""

    name: str
    folder_name: str
    label: str
    note: str = ""
    on_demand: bool = False

    @property
    def folder(self) -> Path:
        return PRETRAINED_DIR / self.folder_name

    @property
    def installed(self) -> bool:
        """Whether its folder is in the package (a trimmed install may leave a tier out)."""
        return (self.folder / "config.json").is_file()

    @property
    def fused(self) -> bool:
        """Whether it fuses other models (:mod:`bgremover.fusion`) rather than holding weights of its own."""
        return "fusion" in json.loads((self.folder / "config.json").read_text())


PRETRAINED: dict[str, PretrainedModel] = {
    model.name: model
    for model in (
        PretrainedModel("default", "bgremover-lite2", "Quality"),  # Attention U-Net, EfficientNet-Lite2, 512 px
        PretrainedModel("fast", "bgremover-fast", "Fast", note="real-time"),  # the same network for 256², int8
        PretrainedModel(
            "fast-plus", "bgremover-fast-plus", "Fast+", note="fast fused with MediaPipe Selfie", on_demand=True
        ),
        PretrainedModel("best", "bgremover-best", "Best", note="quality fused with U²-Net, slower", on_demand=True),
    )
}


def list_pretrained(pattern: str = "*") -> list[str]:
    """The names of the installed shipped models matching the shell-style ``pattern``, sorted."""
    return sorted(name for name, model in PRETRAINED.items() if fnmatch.fnmatch(name, pattern) and model.installed)


def pretrained_model(name: str) -> PretrainedModel:
    """The registry entry ``name``; :class:`~bgremover.errors.ModelNotFoundError` for a name it does not
    hold or a tier this install left out."""
    if name not in PRETRAINED:
        raise ModelNotFoundError(f"no shipped model is called {name!r}: {', '.join(sorted(PRETRAINED))}")
    model = PRETRAINED[name]
    if not model.installed:
        raise ModelNotFoundError(f"the {name!r} model is not installed at {model.folder}")
    return model
