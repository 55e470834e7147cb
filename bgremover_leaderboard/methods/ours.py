"""bgremover's own models: the default, its TTA, refinement and upsampling variants, and every other
trained folder."""

from __future__ import annotations

import numpy as np

from bgremover import load_model
from bgremover.constants import AUTO, DEFAULT_SUBJECT, MULTISCALE, SINGLE_SCALE, UPSAMPLERS
from bgremover.hub import MODELS_DIR, run_config
from bgremover.inference import run_settings
from bgremover.pretrained import PRETRAINED
from bgremover.runtimes import resolve_backend, runs_int8_file
from bgremover_leaderboard.methods.base import Method, MethodUnavailable

RUNTIME_NAMES = {"onnx": ", ONNX Runtime", "openvino": ", OpenVINO"}


class Ours(Method):
    """A bgremover model through :class:`bgremover.Segmenter` at its tier's size and backend
    (512 px long side in PyTorch unless the folder is a named tier's, e.g. ``fast``: 256² ONNX) ×
    scale, or at the given ``working_size`` / ``backend`` / ``square`` / ``upsample``."""

    kind = "ours"

    def __init__(
        self,
        name: str,
        source: str | None = None,
        tta: bool = False,
        scales=None,
        refine: bool = False,
        working_size: int | None = None,
        backend: str | None = None,
        square: bool | None = None,
        subject: str = DEFAULT_SUBJECT,
        precision: str | None = None,
        upsample: str | None = None,
    ):
        self.name, self.source, self.subject = name, source, subject
        self.tta, self.scales, self.refine = tta, None if scales is None else tuple(scales), refine
        run = run_config(source)
        self.precision = precision or run.precision
        self.working_size = working_size or run.working_size
        self.backend = resolve_backend(backend or run.backend, self.precision)
        self.square = run.square if square is None else square
        self.upsample = upsample or run.upsample
        side = self.working_size
        self.resolution = f"{side}×{side} (squashed)" if self.square else f"long side {side}"
        self.resolution += f" × {self.scales}" if self.scales and len(self.scales) > 1 else ""
        self.resolution += RUNTIME_NAMES.get(self.backend, "")
        if runs_int8_file(source, self.backend, self.precision) is not None:
            self.resolution += " int8"
        self.resolution += ", every person" if subject == "all" else ""
        self.resolution += ", guided upsampling" if self.upsample == "guided" else ""
        self.segmenter = None

    def load(self) -> None:
        try:
            self.segmenter = load_model(
                self.source,
                device="cpu",
                working_size=self.working_size,
                backend=self.backend,
                square=self.square,
                precision=self.precision,
                upsample=self.upsample,
            )
        except FileNotFoundError as err:
            raise MethodUnavailable(str(err)) from err

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        if self.segmenter is None:
            self.load()
        return self.segmenter.predict(rgb, tta=self.tta, scales=self.scales, refine=self.refine, subject=self.subject)


def other_upsampler(source: str | None) -> str:
    """The upsampling a model folder does not run by default (its variant's name ends ``+`` it)."""
    return next(name for name in UPSAMPLERS if name != run_config(source).upsample)


def our_methods() -> list[Ours]:
    """The default model with its variants, the fast tier, then every other model folder under ``models/``."""
    methods = [
        Ours("ours"),
        Ours("ours+flip", tta=True),
        Ours("ours+flip+multiscale", tta=True, scales=MULTISCALE),
        Ours("ours+refine", refine=True),
        Ours("ours+everyone", subject="all"),
        Ours(f"ours+{other_upsampler(None)}", upsample=other_upsampler(None)),
    ]
    if run_settings(None)[1] != "torch":  # the default runs exported: its PyTorch fp32 numbers beside it
        methods.append(Ours("ours:pytorch-fp32", backend="torch"))
    fast_tier = PRETRAINED["fast"]
    others = [fast_tier.folder]
    if MODELS_DIR is not None and MODELS_DIR.is_dir():
        others += sorted(p for p in MODELS_DIR.iterdir() if (p / "config.json").is_file())
    methods += [Ours(f"ours:{folder.name}", str(folder)) for folder in others if (folder / "config.json").is_file()]
    fast = str(others[0])
    if fast_tier.installed:
        methods.append(Ours(f"ours:{fast_tier.folder_name}+flip", fast, tta=True))
        other = other_upsampler(fast)
        methods.append(Ours(f"ours:{fast_tier.folder_name}+{other}", fast, upsample=other))
        if runs_int8_file(fast, resolve_backend(AUTO, "int8"), run_config(fast).precision):
            # the int8 tier's unquantized numbers beside it
            methods.append(Ours(f"ours:{fast_tier.folder_name}:unquantized", fast, precision="default"))
    return methods


class Fused(Method):
    """A fused tier (:mod:`bgremover.fusion`; ``best``, ``fast-plus``): its base network averaged pixel by
    pixel with its peer at the weight its config names."""

    kind = "ours"

    def __init__(self, tier: str, upsample: str | None = None):
        from bgremover.fusion import FusionConfig
        from bgremover.peers import PEERS

        self.tier, self.upsample = tier, upsample
        self.name = f"ours:{tier}" + (f"+{upsample}" if upsample else "")
        config = FusionConfig.load(PRETRAINED[tier].folder)
        base = Ours(config.base, str(PRETRAINED[config.base].folder), upsample=upsample).resolution
        tta = " + flip" if config.flip else ""
        if config.scales != SINGLE_SCALE:
            tta += " + scales " + "/".join(f"{scale:g}" for scale in config.scales)
        self.resolution = (
            f"{config.weight:g} × {config.base} ({base}{tta}) + {1 - config.weight:g} × {PEERS[config.peer].title}"
        )
        self.segmenter = None

    def load(self) -> None:
        from bgremover.errors import WeightsUnavailableError

        try:
            self.segmenter = load_model(self.tier, device="cpu", upsample=self.upsample)
        except WeightsUnavailableError as err:
            raise MethodUnavailable(str(err)) from err

    def close(self) -> None:
        self.segmenter = None

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        if self.segmenter is None:
            self.load()
        return self.segmenter.predict(rgb)


def fused_methods() -> list[Fused]:
    """Each installed fused tier as shipped, and with its base's other upsampling."""
    from bgremover.fusion import FusionConfig

    methods = []
    for name, tier in PRETRAINED.items():
        if tier.installed and tier.fused:
            base = str(PRETRAINED[FusionConfig.load(tier.folder).base].folder)
            methods += [Fused(name), Fused(name, upsample=other_upsampler(base))]
    return methods
