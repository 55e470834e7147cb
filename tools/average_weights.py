"""Average the weights of models of one architecture (a weight-space ensemble: a fine-tuned model
interpolated with the model it started from keeps more of the start's robustness, Wortsman et al.,
"Robust fine-tuning of zero-shot models", 2022) and save the result as a model folder.

    python tools/average_weights.py bgremover/pretrained/bgremover-fast runs/fast2/best \\
        --weights 0.5 0.5 -o runs/fast2-wise

A source is a model (folder, name or Hub id) or a training run's checkpoint (``runs/fast2/last.pt``:
the weights it holds, the moving average where the run kept one).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def model_source(source: str) -> str | Path:
    """Where the architecture and run block of ``source`` are: a checkpoint's run's ``best/`` folder."""
    path = Path(source)
    return path.parent / "best" if path.suffix == ".pt" else source


def load_source(source: str):
    """The network of a model source or of a training checkpoint (``.pt`` beside the run's ``best/``)."""
    from bgremover.hub import load_network

    if model_source(source) == source:
        return load_network(source)
    from bgremover.train.checkpoint import load_checkpoint

    path = Path(source)
    if not path.is_file() or not model_source(source).is_dir():
        raise SystemExit(f"{source}: not a training checkpoint beside its run's best/ folder")
    network = load_network(model_source(source))  # the architecture; the weights are the checkpoint's
    state = load_checkpoint(path)
    network.load_state_dict(state["ema"] if "ema" in state else state["model"])
    return network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="model sources (folders, names, Hub ids) or run checkpoints (.pt)")
    parser.add_argument("--weights", nargs="+", type=float, help="one per source (default: equal); normalised")
    parser.add_argument("-o", "--out", required=True, help="the new model folder (run block of the first source)")
    args = parser.parse_args()
    from bgremover.hub import run_config, set_run_config

    weights = args.weights or [1.0] * len(args.sources)
    if len(weights) != len(args.sources):
        parser.error(f"{len(weights)} weights for {len(args.sources)} sources")
    networks = [load_source(source) for source in args.sources]
    states = [network.state_dict() for network in networks]
    shapes = [{name: value.shape for name, value in state.items()} for state in states]
    for source, shape in zip(args.sources[1:], shapes[1:], strict=True):
        if shape != shapes[0]:
            parser.error(f"{source} is not the architecture of {args.sources[0]}: weights of one architecture only")
    total = sum(weights)
    averaged = {
        name: sum(w / total * state[name].double() for w, state in zip(weights, states, strict=True)).to(value.dtype)
        if value.is_floating_point()
        else value
        for name, value in states[0].items()
    }
    networks[0].load_state_dict(averaged)
    networks[0].save_pretrained(args.out)
    set_run_config(args.out, run_config(model_source(args.sources[0])))
    terms = [f"{w / total:.2f}·{source}" for w, source in zip(weights, args.sources, strict=True)]
    print(f"wrote {args.out}: {' + '.join(terms)}")


if __name__ == "__main__":
    main()
