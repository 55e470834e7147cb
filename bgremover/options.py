"""How a photo is cut, whatever the entry point: one set of options, validated once.

The library, ``bgremover cut`` (both engines), the app's service, its Gradio page and ``POST
/api/remove`` all build a :class:`CutOptions`; a value it refuses is refused with the same words
everywhere. numpy and OpenCV only (no torch).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from bgremover.compose import hard_mask
from bgremover.constants import DEFAULT_SUBJECT, MULTISCALE, SUBJECTS, UPSAMPLERS
from bgremover.errors import UsageError

FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse_flag(name: str, value: str | bool) -> bool:
    """A yes/no option given as text (a query string, a form) or as a bool.

    Example:
        >>> parse_flag("tta", "True"), parse_flag("refine", "0"), parse_flag("mask", False)
        (True, False, False)
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if str(value).lower() not in FLAGS:
        raise UsageError(f"{name} must be true or false, got {str(value)[:40]!r}")
    return FLAGS[str(value).lower()]


def parse_threshold(value: float | str | None) -> float | None:
    """A hard-mask threshold: ``None`` (or 0, or an empty form field) keeps the soft alpha; otherwise a
    number strictly between 0 and 1.

    Example:
        >>> parse_threshold(None), parse_threshold(0), parse_threshold("0.5")
        (None, None, 0.5)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        threshold = float("nan")
    if threshold == 0.0:
        return None
    if not 0.0 < threshold < 1.0:  # NaN fails too
        raise UsageError(f"threshold must be between 0 and 1 (0 keeps the soft alpha), got {str(value)[:40]!r}")
    return threshold


def parse_upsample(value: str | None) -> str | None:
    """How the network's map reaches the photo: one of :data:`~bgremover.constants.UPSAMPLERS`, or
    ``None`` (also for empty text: a blank form field) for the model's own.

    Example:
        >>> parse_upsample("guided"), parse_upsample(""), parse_upsample(None)
        ('guided', None, None)
    """
    if value is None or value == "":
        return None
    if value not in UPSAMPLERS:
        raise UsageError(f"upsample must be one of {', '.join(UPSAMPLERS)}, got {str(value)[:40]!r}")
    return value


@dataclass(frozen=True)
class CutOptions:
    """The options that decide a photo's alpha and how it is composed.

    ``tta``: average with the mirrored photo; ``multiscale``: average scales 0.75, 1 and 1.25;
    ``refine``: guided-filter edges; ``subject``: ``"main"`` (the main subject(s)) or ``"all"``;
    ``threshold``: a hard mask opaque where alpha ≥ it (``None`` or 0: the soft alpha);
    ``foreground_estimation``: take the old background's colour out of the person's edges;
    ``upsample``: ``"bilinear"`` or ``"guided"`` (along the photo's edges); ``None`` or empty: the model's own.

    Example:
        >>> CutOptions(threshold=0).threshold is None, CutOptions(multiscale=True).scales
        (True, (0.75, 1.0, 1.25))
        >>> CutOptions(subject="everyone")
        Traceback (most recent call last):
        ...
        bgremover.errors.UsageError: subject must be one of all, main, got 'everyone'
    """

    tta: bool = False
    multiscale: bool = False
    refine: bool = False
    subject: str = DEFAULT_SUBJECT
    threshold: float | None = None
    foreground_estimation: bool = False
    upsample: str | None = None

    @classmethod
    def from_args(cls, args) -> CutOptions:
        """The options as ``bgremover cut`` was given them (its ``argparse.Namespace``)."""
        return cls(**{field.name: getattr(args, field.name) for field in fields(cls)})

    def __post_init__(self):
        if self.subject not in SUBJECTS:
            raise UsageError(f"subject must be one of {', '.join(sorted(SUBJECTS))}, got {str(self.subject)[:40]!r}")
        object.__setattr__(self, "upsample", parse_upsample(self.upsample))
        object.__setattr__(self, "threshold", parse_threshold(self.threshold))
        for name in ("tta", "multiscale", "refine", "foreground_estimation"):
            object.__setattr__(self, name, parse_flag(name, getattr(self, name)))

    @classmethod
    def from_text(cls, values: dict[str, str]) -> CutOptions:
        """From text values (a query string, a form): flags as true/false, the threshold as a number."""
        names = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in names})

    @property
    def scales(self) -> tuple[float, ...] | None:
        """:data:`~bgremover.constants.MULTISCALE` with ``multiscale``, else ``None``: the model's own."""
        return MULTISCALE if self.multiscale else None

    def alpha(self, segmenter, rgb: np.ndarray) -> np.ndarray:
        """``segmenter``'s alpha for ``rgb`` under these options (hard where a threshold is set)."""
        return self.alphas(segmenter, [rgb])[0]

    def alphas(self, segmenter, rgbs: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`alpha` for several photos in one call: those the network sees at the same size go
        through it together (one batch on a GPU; the fast tier sees every photo at 256²)."""
        alphas = segmenter.predict(
            list(rgbs),
            tta=self.tta,
            scales=self.scales,
            refine=self.refine,
            subject=self.subject,
            upsample=self.upsample,
        )
        return alphas if self.threshold is None else [hard_mask(alpha, self.threshold) for alpha in alphas]
