"""Instructions per request, counted by valgrind: a figure the machine's load does not move.

    python bench/instructions.py [--only refresh_token,introspection] [--requests 100]

CPU time per request moves with whatever else runs on a shared machine (the same commit
measured 40% apart within minutes, docs/performance.md); the number of instructions the
process executes does not. Each scenario of bench/in_process.py runs twice under valgrind's
callgrind, once with ``--requests`` requests and once with twice as many, after the same
set-up and warm-up; the difference, divided by ``--requests``, is what one request executes in
the worker: Django, the protocol, the signatures, the database and cache clients. Not the
database server's work, nor the kernel's (system calls count as one instruction each).
About two minutes per scenario; the environment is bench/in_process.py's (DATABASE_URL,
REDIS_URL, the bench realms).
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PYTHON = BENCH.parent / ".venv" / "bin" / "python"
SCENARIOS = (
    "client_credentials_rs256",
    "refresh_token",
    "authorization_code",
    "introspection",
    "userinfo",
    "healthz",
)
MOST = 400  # in_process.SINGLE_BUDGET codes cover 50 to warm up and 2 x MOST


def executed(scenario: str, requests: int) -> int:
    """Instructions executed by a whole ``in_process.py --single`` run."""
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                str(PYTHON if PYTHON.exists() else sys.executable),
                str(BENCH / "in_process.py"),
                "--only",
                scenario,
                "--single",
                str(requests),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found = re.search(r"^summary: (\d+)$", out.read_text(), re.MULTILINE)
    if found is None:
        sys.exit(f"callgrind wrote no summary for {scenario}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args()
    if not 0 < options.requests <= MOST:
        sys.exit(f"--requests is from 1 to {MOST}")
    for scenario in filter(None, options.only.split(",")):
        once = executed(scenario, options.requests)
        twice = executed(scenario, 2 * options.requests)
        per_request = (twice - once) / options.requests
        print(f"{scenario:<28}{per_request / 1e6:8.3f} M instructions per request", flush=True)


if __name__ == "__main__":
    main()
