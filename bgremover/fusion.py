"""Fused tiers: a shipped network's probabilities averaged, pixel by pixel, with a permissive peer's
(:mod:`bgremover.peers`) whose errors lie elsewhere.

- ``best``: the default with flip and multi-scale TTA, and rembg's U²-Net (full): U²-Net keeps raised
  hands and drops chairs' neighbours less often; the default keeps bystanders and drops fewer salient
  objects;
- ``fast-plus``: the fast tier and MediaPipe Selfie (250 kB, a few milliseconds a photo on 2 CPU cores).

The peer's weights are fetched once from their public source and checked by sha256; offline machines
put the file in ``$BGREMOVER_WEIGHTS_DIR/peers/``. The fusion settings travel beside each tier's card
in its ``config.json`` (``{"fusion": {"base", "weight", "flip", "peer", "scales"}}``).

Example:
    >>> from bgremover.fusion import FusionConfig
    >>> FusionConfig.load().peer
    'u2net'
    >>> from bgremover import load_model
    >>> best = load_model("best")  # doctest: +SKIP
    >>> alpha = best.predict("photo.jpg")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bgremover.constants import SINGLE_SCALE
from bgremover.errors import UsageError
from bgremover.inference import Segmenter, load_segmenter
from bgremover.peers import load_peer, peer_spec
from bgremover.pretrained import PRETRAINED


@dataclass(frozen=True)
class FusionConfig:
    """How a fused tier fuses: the ``base`` shipped network, run with flip TTA or not and at ``scales``
    (multiples of its working size, averaged), its ``weight``, and the ``peer``
    (:data:`~bgremover.peers.PEERS`) that gets ``1 - weight``; the weight and scales are chosen on the
    validation photos (``tools/fusion_search.py``), never on a benchmark set."""

    base: str = "default"
    weight: float = 0.5
    flip: bool = True
    peer: str = "u2net"
    scales: tuple[float, ...] = SINGLE_SCALE

    def __post_init__(self):
        peer_spec(self.peer)  # an unknown peer is refused when the config is read
        object.__setattr__(self, "scales", tuple(self.scales))  # JSON gives a list

    @classmethod
    def load(cls, folder: Path = PRETRAINED["best"].folder) -> FusionConfig:
        return cls(**json.loads((folder / "config.json").read_text())["fusion"])


class FusedSegmenter(Segmenter):
    """A :class:`Segmenter` whose alpha is ``weight`` × the base network's probability (with flip TTA
    when ``flip``, averaged over ``scales`` unless a call names its own, ``(1.0,)`` included) + (1 −
    ``weight``) × the peer's; the main-subject rule and refinement run on the fused map. Everything else
    (sizes, limits, video) is the base segmenter's."""

    def __init__(self, base: Segmenter, peer, weight: float, flip: bool = True, scales: Sequence[float] = SINGLE_SCALE):
        super().__init__(
            base.network, base.device, base.working_size, base._max_pixels, base.square, base.upsample, base.flip_shift
        )
        if not 0.0 <= weight <= 1.0:
            raise UsageError(f"the fusion weight must lie in [0, 1], got {weight}")
        self.peer, self.weight, self.flip, self.scales = peer, weight, flip, tuple(scales)
        self._peer_lock = threading.Lock()  # one peer instance, called from several threads

    def peer_alpha(self, rgb: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        """The peer's probability for ``rgb``, at ``size`` (w, h; default: the photo's)."""
        with self._peer_lock, self.network_lock:  # the peer is a network call too (Segmenter.network_lock)
            return self.peer(rgb, size)

    def _network_maps(
        self, rgbs: list[np.ndarray], tta: bool, scales: Sequence[float]
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        # fused at the base network's resolution, where the main subject is chosen: on a 2-megapixel
        # photo a photo-size fusion and subject rule took longer than the fast tier's whole cut
        bases = super()._network_maps(rgbs, tta or self.flip, scales)  # None: the tier's own scales
        return [
            (self.weight * base + (1.0 - self.weight) * self.peer_alpha(rgb, base.shape[::-1]), seen)
            for rgb, (base, seen) in zip(rgbs, bases, strict=True)
        ]


def load_fused(folder: str | Path, peer_path: str | Path | None = None, **base_options) -> FusedSegmenter:
    """A fused tier from its folder's ``config.json`` (``"best"``: ``pretrained/bgremover-best``): the
    configured base model (:func:`~bgremover.inference.load_segmenter` with ``base_options``) fused with
    its peer (``peer_path``, else the checked download) on the runtime ``backend`` and ``precision`` give
    it (:func:`~bgremover.peers.peer_runtime`)."""
    config = FusionConfig.load(Path(folder))
    base = load_segmenter(config.base, **base_options)
    runtime = {key: base_options[key] for key in ("backend", "precision") if base_options.get(key)}
    peer = load_peer(config.peer, peer_path, **runtime)
    return FusedSegmenter(base, peer, config.weight, config.flip, config.scales)
