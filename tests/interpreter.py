"""A Python snippet run in a fresh interpreter with the project's code, for what only a new
process shows (what is imported or connected at start)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def output_of(script: str, **environment: str) -> str:
    """What ``script`` prints, stripped; a failing script fails the test with its output."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()
