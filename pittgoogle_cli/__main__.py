"""``pgb`` (pyproject's entry point) and ``python -m pittgoogle_cli``.

``pgb --version`` is answered here, before the CLI is imported: typer, click, rich and
every command's module take ~0.2 s to load, and the version needs none of them (0.03 s).
Anything else on the line, ``--debug`` included, goes to the CLI, which answers
``--version`` the same way.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        sys.exit(_version())
    from pittgoogle_cli.cli import main as cli_main

    cli_main()


def _version() -> int:
    from pittgoogle_cli import __version__

    try:
        sys.stdout.write(f"pgb {__version__}\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `pgb --version | true`: as the CLI does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 0


if __name__ == "__main__":
    main()
