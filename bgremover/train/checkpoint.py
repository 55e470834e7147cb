"""Atomic, safely loadable training checkpoints."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np
import torch


def atomic_save(obj: dict, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same folder, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def remove_interrupted_saves(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that :func:`atomic_save` leaves behind when its process is killed
    mid-write (``.NAME.XXXXXXXX.tmp``); the files they were to replace are intact. Returns them."""
    removed = sorted(Path(folder).glob(".*.*.tmp"))
    for tmp in removed:
        tmp.unlink(missing_ok=True)
    return removed


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint written by :func:`atomic_save` without unpickling code (``weights_only``)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def rng_state() -> dict:
    """The Python, NumPy and torch RNG states in a ``weights_only``-loadable form."""
    np_state = np.random.get_state()
    state = {
        "python": list(random.getstate()[1]),
        "python_gauss": random.getstate()[2],
        "numpy": torch.from_numpy(np_state[1].astype(np.int64)),
        "numpy_pos": int(np_state[2]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` captured."""
    random.setstate((3, tuple(state["python"]), state["python_gauss"]))
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"], 0, 0.0))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
