"""The ``pgb`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 done; 1 error; 2 bad usage or missing setting (e.g. no project);
3 credentials; 4 not found; 5 query over the cost cap; 6 permission denied;
7 service unreachable; 8 an output cannot be written (disk full); 130 SIGINT;
141 output closed (``| head``); 143 SIGTERM.
"""

from __future__ import annotations

from pittgoogle_cli.cli import (
    auth,  # noqa: F401  (each module registers its commands)
    decode,  # noqa: F401
    pull,  # noqa: F401
    query,  # noqa: F401
)
from pittgoogle_cli.cli.app import app


def main() -> None:
    app()
