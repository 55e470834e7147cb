"""Start-up cost: ``import bgremover``, ``bgremover --help``, loading the model, and the first cut of
each tier (with the exported graph cached, and for the fast tier also without), each in a fresh
interpreter, as ratios to ``python -c pass`` and ``import torch`` measured in the same run (median of
``--repeats``).

    python -m benchmarks.startup [--repeats 5] [--checkout DIR]

``--checkout`` measures another checkout of bgremover (e.g. ``git worktree add /tmp/old REV``): the
commands run there, with it first on the path.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

FIRST_CUT = "import bgremover, numpy; bgremover.load_model('{model}').predict(numpy.zeros((480, 640, 3), 'uint8'))"
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import torch": [sys.executable, "-c", "import torch"],
    "import bgremover": [sys.executable, "-c", "import bgremover"],
    "bgremover --help": [sys.executable, "-m", "bgremover", "--help"],
    "import bgremover; load_model()": [sys.executable, "-c", "import bgremover; bgremover.load_model()"],
    # the first cut of each tier in a fresh process; "fresh cache": the exported graph is made first
    "first cut, default": [sys.executable, "-c", FIRST_CUT.format(model="default")],
    "first cut, fast": [sys.executable, "-c", FIRST_CUT.format(model="fast")],
    "first cut, fast, fresh cache": [sys.executable, "-c", FIRST_CUT.format(model="fast")],
}
FRESH_CACHE = {"first cut, fast, fresh cache"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checkout", help="measure the bgremover of this folder instead of this one")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": args.checkout} if args.checkout else None
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):  # interleaved, so a busy moment hits every command alike
        for name, command in COMMANDS.items():
            run_env = env
            if name in FRESH_CACHE:
                run_env = {**(env or os.environ), "BGREMOVER_CACHE": tempfile.mkdtemp(prefix="bgremover-cache-")}
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=args.checkout, env=run_env)
            seconds[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        f"median of {args.repeats} fresh interpreters" + (f", bgremover from {args.checkout}" if args.checkout else "")
    )
    print("| command | seconds | vs python -c pass | vs import torch |")
    print("|---|---|---|---|")
    bare, torch = median["python -c pass"], median["import torch"]
    for name, value in median.items():
        print(f"| `{name}` | {value:.2f} | {value / bare:.1f}× | {value / torch:.2f}× |")


if __name__ == "__main__":
    main()
