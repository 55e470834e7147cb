"""How a model runs by default: written into every ``config.json`` as its ``"run"`` block, so that a
model folder or Hub repo runs as its card says wherever it is copied (as timm's ``pretrained_cfg``).

Example:
    >>> RunConfig.from_config({"run": {"working_size": 256, "square": True, "backend": "auto"}}).working_size
    256
    >>> RunConfig.from_config({}) == RunConfig()  # a config.json written before the block existed
    True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bgremover.constants import BACKENDS, MAX_FLIP_SHIFT, PRECISIONS, UPSAMPLERS, WORKING_SIZE
from bgremover.errors import UsageError


@dataclass(frozen=True)
class RunConfig:
    """``working_size``: long side the network sees (``square``: resized to ``working_size``² whatever
    the aspect); ``backend``: the default runtime (``"auto"``: the fastest exported one on the CPU);
    ``precision``: ``"f32"`` keeps ``"auto"`` to exact fp32 runtimes, ``"default"`` lets it use bf16
    where the CPU has it, ``"int8"`` runs the folder's int8 OpenVINO file where it ships one;
    ``mean``/``std``: the normalisation applied inside the network to RGB in [0, 1] (for the record:
    callers pass RGB in [0, 1]); ``upsample``: how the network's map is brought to the photo's size
    (``"bilinear"``, or ``"guided"``: along the photo's edges, :func:`bgremover.refine.guided_upsample`);
    ``flip_shift``: network pixels flip TTA moves the mirrored pass right before merging it, the
    network's own offset between its two passes (``docs/experiments/tools/flip_alignment.py``)."""

    working_size: int = WORKING_SIZE
    square: bool = False
    backend: str = "torch"
    precision: str = "default"
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    upsample: str = "bilinear"
    flip_shift: float = 0.0

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise UsageError(f"run backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.precision not in PRECISIONS:
            raise UsageError(f"run precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.upsample not in UPSAMPLERS:
            raise UsageError(f"run upsample must be one of {', '.join(UPSAMPLERS)}, got {self.upsample!r}")
        if not isinstance(self.flip_shift, int | float) or not abs(self.flip_shift) <= MAX_FLIP_SHIFT:
            raise UsageError(
                f"run flip_shift must be a number of network pixels within ±{MAX_FLIP_SHIFT}, got {self.flip_shift!r}"
            )
        if self.working_size < 32:
            raise UsageError(f"run working_size must be at least 32, got {self.working_size}")

    @classmethod
    def from_config(cls, config: dict) -> RunConfig:
        block = dict(config.get("run") or {})
        for key in ("mean", "std"):
            if block.get(key) is not None:
                block[key] = tuple(block[key])
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in block.items() if k in known})

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}
