"""Average the weights of models of one architecture (a weight-space ensemble: a fine-tuned model
interpolated with the model it started from keeps more of the start's robustness, Wortsman et al.,
"Robust fine-tuning of zero-shot models", 2022) and save the result as a model folder.

    python tools/average_weights.py bgremover/pretrained/bgremover-fast runs/fast2/best \\
        --weights 0.5 0.5 -o runs/fast2-wise
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="model sources: folders, names or Hub ids")
    parser.add_argument("--weights", nargs="+", type=float, help="one per source (default: equal); normalised")
    parser.add_argument("-o", "--out", required=True, help="the new model folder (run block of the first source)")
    args = parser.parse_args()
    from bgremover.hub import load_network, run_config, set_run_config

    weights = args.weights or [1.0] * len(args.sources)
    if len(weights) != len(args.sources):
        parser.error(f"{len(weights)} weights for {len(args.sources)} sources")
    networks = [load_network(source) for source in args.sources]
    states = [network.state_dict() for network in networks]
    total = sum(weights)
    averaged = {
        name: sum(w / total * state[name].double() for w, state in zip(weights, states, strict=True)).to(value.dtype)
        if value.is_floating_point()
        else value
        for name, value in states[0].items()
    }
    networks[0].load_state_dict(averaged)
    networks[0].save_pretrained(args.out)
    set_run_config(args.out, run_config(args.sources[0]))
    terms = [f"{w / total:.2f}·{source}" for w, source in zip(weights, args.sources, strict=True)]
    print(f"wrote {args.out}: {' + '.join(terms)}")


if __name__ == "__main__":
    main()
