"""Start-up cost: ``import bgremover``, ``bgremover --help``, loading the model, the first cut of
each tier (with the exported graph cached, and for the fast tier also without) and one ``bgremover cut``
of a 1600×1200 photo per tier, each in a fresh interpreter: seconds and peak memory, as ratios to
``python -c pass`` and ``import torch`` measured in the same run, and the default's command against the
same command with torch imported first (median of ``--repeats``). Then the cost of writing that cut-out
as PNG at zlib level 6 (Pillow's default) and at bgremover's level (``PNG_OPTIONS``).

    python -m benchmarks.startup [--repeats 5] [--checkout DIR]

``--checkout`` measures another checkout of bgremover (e.g. ``git worktree add /tmp/old REV``): the
commands run there, with it first on the path.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHOTO = Path(__file__).resolve().parent.parent / "bgremover_app" / "examples" / "hands_raised_charades.jpg"
FIRST_CUT = "import bgremover, numpy; bgremover.load_model('{model}').predict(numpy.zeros((480, 640, 3), 'uint8'))"
CLI_CUT = (  # what `bgremover cut PHOTO --model M -o OUT` runs, with torch imported first or not
    "import sys{first}; from bgremover.cli import main;"
    " sys.exit(main(['cut', {photo!r}, '--model', '{model}', '-o', sys.argv[1]]))"
)
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
    # the command a user runs on one photo, output written (a new file each time)
    "bgremover cut, default": [sys.executable, "-c", CLI_CUT.format(first="", photo=str(PHOTO), model="default")],
    "bgremover cut, fast": [sys.executable, "-c", CLI_CUT.format(first="", photo=str(PHOTO), model="fast")],
    "bgremover cut, default, torch imported first": [
        sys.executable,
        "-c",
        CLI_CUT.format(first="; import torch", photo=str(PHOTO), model="default"),
    ],
}
FRESH_CACHE = {"first cut, fast, fresh cache"}
WRITES_FILE = {name for name in COMMANDS if name.startswith("bgremover cut")}


def run_measured(command: list[str], cwd: str | None, env: dict | None) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one run of ``command`` in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)  # the child's own peak memory, not the largest child's so far
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed: {child.stderr.read().decode()[-2000:]}")
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    peak_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return seconds, peak_kb / 1024


def png_costs(repeats: int) -> None:
    """Seconds (median) and bytes of writing the fast tier's cut-out of :data:`PHOTO` as PNG."""
    from bgremover import load_model
    from bgremover.compose import compose
    from bgremover.constants import PNG_OPTIONS
    from bgremover.io import read_image

    rgb = read_image(PHOTO)
    cut = compose(rgb, load_model("fast").predict(rgb))
    print(f"\nwriting the cut-out of {PHOTO.name} ({cut.width}×{cut.height} RGBA) as PNG, median of {repeats}")
    print("| zlib level | seconds | bytes |")
    print("|---|---|---|")
    for level, name in ((6, "Pillow's default"), (PNG_OPTIONS["compress_level"], "bgremover's")):
        times, size = [], 0
        for _ in range(repeats):
            buffer = io.BytesIO()
            started = time.perf_counter()
            cut.save(buffer, format="PNG", compress_level=level)
            times.append(time.perf_counter() - started)
            size = buffer.tell()
        print(f"| {name} ({level}) | {statistics.median(times):.3f} | {size} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checkout", help="measure the bgremover of this folder instead of this one")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": args.checkout} if args.checkout else None
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    peak: dict[str, list[float]] = {name: [] for name in COMMANDS}
    outputs = Path(tempfile.mkdtemp(prefix="bgremover-startup-"))
    for run in range(args.repeats):  # interleaved, so a busy moment hits every command alike
        for index, (name, command) in enumerate(COMMANDS.items()):
            run_env = env
            if name in FRESH_CACHE:
                run_env = {**(env or os.environ), "BGREMOVER_CACHE": tempfile.mkdtemp(prefix="bgremover-cache-")}
            if name in WRITES_FILE:
                command = [*command, str(outputs / f"{run}-{index}.png")]
            wall, megabytes = run_measured(command, args.checkout, run_env)
            seconds[name].append(wall)
            peak[name].append(megabytes)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        f"median of {args.repeats} fresh interpreters" + (f", bgremover from {args.checkout}" if args.checkout else "")
    )
    print("| command | seconds | peak MB | vs python -c pass | vs import torch |")
    print("|---|---|---|---|---|")
    bare, torch = median["python -c pass"], median["import torch"]
    for name, value in median.items():
        print(
            f"| `{name}` | {value:.2f} | {statistics.median(peak[name]):.0f} | {value / bare:.1f}× |"
            f" {value / torch:.2f}× |"
        )
    with_torch = median["bgremover cut, default, torch imported first"]
    print(
        f"\n`bgremover cut`, default, against the same command with torch imported first: "
        f"{median['bgremover cut, default'] / with_torch:.2f}× the time"
    )
    if not args.checkout:
        png_costs(args.repeats)


if __name__ == "__main__":
    main()
