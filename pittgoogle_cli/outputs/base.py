"""What every output is: a ``Sink`` that returns from ``write`` only once the alerts are
durable (flushed to the reader, or fsynced to disk), because the caller acks them right
after. And the one way pgb writes to stdout, whose reader may go away (``| head``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO, Protocol, runtime_checkable

from pittgoogle_cli._exceptions import OutputClosed
from pittgoogle_cli.packets.models import Alert

Render = Callable[[Alert], bytes]


@runtime_checkable
class Sink(Protocol):
    """Takes a batch of alerts (after filters) and returns once they are durable."""

    async def write(self, alerts: Sequence[Alert]) -> None: ...

    async def aclose(self) -> None: ...


def write_lines(stream: BinaryIO, lines: Iterable[bytes]) -> None:
    """Write and flush; a reader that went away is ``OutputClosed``, and stdout is then
    pointed at /dev/null so that Python's flush at exit cannot complain again."""
    try:
        stream.writelines(lines)
        stream.flush()
    except BrokenPipeError:
        if stream is sys.stdout.buffer:
            _silence_stdout()
        raise OutputClosed("output closed") from None


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
