"""Weight averages of models of one architecture (a weight-space ensemble: a fine-tuned model
interpolated with the model it started from keeps more of the start's robustness, Wortsman et al.,
"Robust fine-tuning of zero-shot models", 2022) — ``bgremover average-weights``.

A source is a model (folder, name or Hub id) or a training run's checkpoint (``runs/NAME/last.pt``:
the weights it holds, the moving average where the run kept one; the architecture from the run's
``best/`` beside it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from torch import nn

from bgremover.errors import UsageError
from bgremover.hub import load_network, run_config, set_run_config


def model_source(source: str | os.PathLike) -> str | Path:
    """Where the architecture and run block of ``source`` are: a checkpoint's run's ``best/`` folder."""
    path = Path(source)
    return path.parent / "best" if path.suffix == ".pt" else source


def load_source(source: str | os.PathLike) -> nn.Module:
    """The network of a model source or of a training checkpoint (``.pt`` beside the run's ``best/``)."""
    if Path(source).suffix != ".pt":
        return load_network(source)
    from bgremover.train.checkpoint import load_checkpoint

    if not Path(source).is_file() or not Path(model_source(source)).is_dir():
        raise UsageError(f"{source}: not a training checkpoint beside its run's best/ folder")
    network = load_network(model_source(source))  # the architecture; the weights are the checkpoint's
    state = load_checkpoint(Path(source))
    network.load_state_dict(state["ema"] if "ema" in state else state["model"])
    return network


def average_weights(sources: Sequence[str | os.PathLike], weights: Sequence[float] | None = None) -> nn.Module:
    """The first source's network holding the weighted mean of every source's floating-point weights
    (``weights``: one per source, normalised; default equal); integer buffers are the first's."""
    weights = list(weights or [1.0] * len(sources))
    if not sources or len(weights) != len(sources):
        raise UsageError(f"{len(weights)} weights for {len(sources)} sources")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise UsageError(f"the weights must be non-negative and not all zero, got {weights}")
    networks = [load_source(source) for source in sources]
    states = [network.state_dict() for network in networks]
    shapes = [{name: value.shape for name, value in state.items()} for state in states]
    for source, shape in zip(sources[1:], shapes[1:], strict=True):
        if shape != shapes[0]:
            raise UsageError(f"{source} is not the architecture of {sources[0]}: weights of one architecture only")
    total = sum(weights)
    averaged = {
        name: sum(w / total * state[name].double() for w, state in zip(weights, states, strict=True)).to(value.dtype)
        if value.is_floating_point()
        else value
        for name, value in states[0].items()
    }
    networks[0].load_state_dict(averaged)
    return networks[0]


def save_average(
    sources: Sequence[str | os.PathLike], out: str | os.PathLike, weights: Sequence[float] | None = None
) -> str:
    """:func:`average_weights` saved as a model folder ``out`` with the first source's run block; a
    one-line description of the mix."""
    if Path(out).exists():
        raise UsageError(f"{out} exists; choose a new folder for the average")
    network = average_weights(sources, weights)
    network.save_pretrained(out)
    set_run_config(out, run_config(model_source(sources[0])))
    weights = list(weights or [1.0] * len(sources))
    return " + ".join(f"{w / sum(weights):.2f}·{source}" for w, source in zip(weights, sources, strict=True))
