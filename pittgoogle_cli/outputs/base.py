"""What every output is: a ``Sink`` that returns from ``write`` only once the alerts are
durable (flushed to the reader, or fsynced to disk), because the caller acks them right
after. And the one way pgb writes to stdout, whose reader may go away (``| head``)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO, Protocol, runtime_checkable

import anyio

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

from pittgoogle_cli._exceptions import OutputClosed, OutputFailed
from pittgoogle_cli.packets.models import Alert

Render = Callable[[Alert], bytes]


@runtime_checkable
class Sink(Protocol):
    """Takes a batch of alerts (after filters) and returns once they are durable."""

    async def write(self, alerts: Sequence[Alert]) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Watched(Protocol):
    """A sink that can tell that its reader went away (a pipe's)."""

    async def reader_gone(self) -> None: ...


async def until_reader_gone(sink: Sink) -> None:
    """Return once the reader of ``sink``, or of the sink it wraps, went away; never for
    an output that cannot tell (a file, a terminal)."""
    found: object = sink
    while not isinstance(found, Watched):
        found = getattr(found, "inner", None)
        if found is None:
            await anyio.sleep_forever()
    await found.reader_gone()


def write_lines(stream: BinaryIO, lines: Iterable[bytes]) -> None:
    """Write and flush; a reader that went away is ``OutputClosed``, and stdout is then
    pointed at /dev/null so that Python's flush at exit cannot complain again."""
    try:
        stream.writelines(lines)
        stream.flush()
    except BrokenPipeError:
        if stream is sys.stdout.buffer:
            silence_stdout()
        raise OutputClosed("output closed") from None


def silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


@contextlib.contextmanager
def writing(target: str) -> Iterator[None]:
    """An OS or SQLite error while writing ``target`` becomes ``OutputFailed``, one line:
    ``cannot write alerts.jsonl: No space left on device`` (from parallel writers too)."""
    try:
        yield
    except (OSError, sqlite3.Error, BaseExceptionGroup) as exc:
        cause = _write_error(exc)
        if cause is None:
            raise
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else cause
        raise OutputFailed(f"cannot write {target}: {reason}") from exc


def _write_error(exc: BaseException) -> OSError | sqlite3.Error | None:
    """The write error in ``exc`` (the first one, in a group of them); a closed pipe is
    not one: that is ``OutputClosed``'s business."""
    if isinstance(exc, BaseExceptionGroup):
        found = (_write_error(inner) for inner in exc.exceptions)
        return next((error for error in found if error is not None), None)
    if isinstance(exc, (OSError, sqlite3.Error)) and not isinstance(exc, BrokenPipeError):
        return exc
    return None


# --workers with an output that is not pgb's JSON lines (``line_render`` is None).
WORKERS_NEED_LINES = (
    "--workers hands on JSON lines, and this output takes whole alerts (a sink of your "
    "own): drop --workers for it"
)


def line_render(sink: Sink) -> Render | None:
    """How the alerts given to ``sink`` must be rendered before, if it writes lines the
    engine made (``GuardedSink``'s ``lines``); None for a sink that takes whole alerts."""
    return sink.lines if isinstance(sink, GuardedSink) else None


class GuardedSink:
    """A sink whose write errors say which output failed and why (``OutputFailed``).
    ``lines``: ``inner`` writes each alert as the line this function made of it, which the
    alert carries in its ``data`` (``engine.batch.as_line``), not the alert itself."""

    def __init__(self, inner: Sink, target: str, *, lines: Render | None = None) -> None:
        self.inner = inner
        self.target = target
        self.lines = lines

    async def write(self, alerts: Sequence[Alert]) -> None:
        with writing(self.target):
            await self.inner.write(alerts)

    async def aclose(self) -> None:
        with writing(self.target):
            await self.inner.aclose()
