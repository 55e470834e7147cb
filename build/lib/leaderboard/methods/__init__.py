"""Every method of the leaderboard, by name."""

from __future__ import annotations

from leaderboard.methods.base import Method, MethodUnavailable
from leaderboard.methods.classic import GrabCut, Watershed
from leaderboard.methods.ours import Ours, our_methods
from leaderboard.methods.peers import ONNX_PRESETS, MediaPipeSelfie, OnnxPeer, OnnxPeerSpec, TorchvisionPerson


def all_methods() -> dict[str, Method]:
    """Name → method, ours first."""
    methods: list[Method] = [
        *our_methods(),
        GrabCut(),
        Watershed(),
        TorchvisionPerson("deeplabv3"),
        TorchvisionPerson("maskrcnn"),
        *(OnnxPeer(spec) for spec in ONNX_PRESETS.values()),
        MediaPipeSelfie(),
    ]
    return {m.name: m for m in methods}


__all__ = [
    "ONNX_PRESETS",
    "GrabCut",
    "MediaPipeSelfie",
    "Method",
    "MethodUnavailable",
    "OnnxPeer",
    "OnnxPeerSpec",
    "Ours",
    "TorchvisionPerson",
    "Watershed",
    "all_methods",
]
