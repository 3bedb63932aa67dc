"""Start-up: wall time of ``pgb --version``, ``pgb --help`` and a bare interpreter.

    .venv/bin/python -m bench.startup [--runs 11]

Each command runs ``--runs`` times, the commands interleaved (a busy moment slows all of
them alike), and the median is printed with the min-max and the load average.
``pgb --version (CLI)`` is the same question asked through the whole CLI (typer, click,
rich and every command's module), as the ``pgb`` entry point answered it before
``pittgoogle_cli.__main__`` took ``--version`` on its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

PYTHON = sys.executable
PGB = str(Path(PYTHON).parent / "pgb")
_THROUGH_CLI = "import sys; from pittgoogle_cli.cli import main; sys.argv[0] = 'pgb'; main()"
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "pgb --version": [PGB, "--version"],
    "pgb --version (CLI)": [PYTHON, "-c", _THROUGH_CLI, "--version"],
    "pgb --help": [PGB, "--help"],
}


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=11, help="runs per command")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            seconds[name].append(timed(command))
    print(f"{'command':<22} {'median s':>8}  min-max")
    for name, values in seconds.items():
        print(f"{name:<22} {median(values):>8.3f}  {min(values):.3f}-{max(values):.3f}")
    print(f"\n{args.runs} runs each, interleaved; load average {load} -> {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
