"""Every method of the leaderboard, by name."""

from __future__ import annotations

from bgremover_leaderboard.methods.base import Method, MethodUnavailable
from bgremover_leaderboard.methods.classic import GrabCut, Watershed
from bgremover_leaderboard.methods.ours import Fused, Ours, fused_methods, our_methods
from bgremover_leaderboard.methods.peers import (
    ONNX_PRESETS,
    MediaPipeSelfie,
    OnnxPeer,
    OnnxPeerSpec,
    TorchvisionPerson,
    U2NetFull,
)


def all_methods() -> dict[str, Method]:
    """Name → method, ours first."""
    methods: list[Method] = [
        *our_methods(),
        *fused_methods(),
        GrabCut(),
        Watershed(),
        TorchvisionPerson("deeplabv3"),
        TorchvisionPerson("maskrcnn"),
        U2NetFull(),
        *(OnnxPeer(spec) for spec in ONNX_PRESETS.values()),
        MediaPipeSelfie(),
    ]
    return {m.name: m for m in methods}


__all__ = [
    "ONNX_PRESETS",
    "Fused",
    "GrabCut",
    "MediaPipeSelfie",
    "Method",
    "MethodUnavailable",
    "OnnxPeer",
    "OnnxPeerSpec",
    "Ours",
    "TorchvisionPerson",
    "U2NetFull",
    "Watershed",
    "all_methods",
]
