"""Measurement scripts (run by hand as ``python -m benchmarks.NAME``; their numbers go in the README)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measure_in_subprocess(script: str, variant: str, options: dict[str, object]) -> dict:
    """Run ``script --variant VARIANT --key value ...`` (a list value gives several values) in a
    fresh process (so its peak memory is its own) with the repository importable; returns the JSON
    its last output line prints."""
    command = [sys.executable, script, "--variant", variant]
    for key, value in options.items():
        values = value if isinstance(value, list | tuple) else [value]
        command += ["--" + key.replace("_", "-"), *map(str, values)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])
