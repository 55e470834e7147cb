"""Running the ``bgremover`` command in tests: in this process, or in a new interpreter."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest

from tests.conftest import REPO


class Terminal(io.StringIO):
    """stderr as a person's terminal shows it (what is written only for a person, progress bars and
    notices, shows here)."""

    def isatty(self) -> bool:
        return True


def run_cli_process(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """``python -m bgremover ARGS`` in a new interpreter: exit code, stdout and stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "bgremover", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )


def run_cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """The same command through the CLI's ``main`` in this process (what ``python -m bgremover`` calls,
    without a new interpreter's imports), ``extra_env`` set while it runs: exit code, stdout, stderr."""
    from bgremover.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.chdir(REPO)
        for key, value in extra_env.items():
            patch.setenv(key, value)
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse: --help, a bad flag
            code = exit_.code
    return subprocess.CompletedProcess(["bgremover", *args], code, out.getvalue(), err.getvalue())
