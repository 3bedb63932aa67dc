"""The ``pgb`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 done; 1 error; 2 bad usage or missing setting (e.g. no project);
3 credentials; 4 not found; 5 query over the cost cap; 6 permission denied;
7 service unreachable; 8 an output cannot be written (disk full); 130 SIGINT;
141 output closed (``| head``); 143 SIGTERM.
"""

from __future__ import annotations

import os
import signal
from types import FrameType


def _terminated(signum: int, frame: FrameType | None) -> None:
    os._exit(128 + signum)  # what the default action does, with the documented code


# SIGTERM before a command put its own handler in place (start-up: nothing held yet) ends
# pgb at once as the default action would, but with exit code 143 rather than killed by a
# signal. Not an exception: raised in the middle of an import it can crash the interpreter.
if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _terminated)

from pittgoogle_cli.cli import (  # noqa: E402
    auth,  # noqa: F401  (each module registers its commands)
    decode,  # noqa: F401
    pull,  # noqa: F401
    query,  # noqa: F401
)
from pittgoogle_cli.cli.app import app  # noqa: E402


def main() -> None:
    app()
