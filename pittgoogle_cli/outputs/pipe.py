"""JSON lines into a pipe (``pgb pull ... | jq``): an alert counts as written only once the
reader has taken its line out of the pipe, because the pipe's buffer dies with a reader
that leaves (``| head -3``), and what died there must not be acked.

Linux tells how many bytes of a pipe are still unread (``FIONREAD``, asked of either end)
and that its reader is gone (``POLLERR`` on the write end). pgb writes a line only once
the pipe is empty, so at most one line is ever untaken: ``head`` reads up to 8 KiB at a
time and would otherwise swallow a whole batch of short lines and die with it. A line
is taken when the pipe is empty again; when the reader leaves, what it never took is
returned to the subscription. Elsewhere (other systems, a terminal, a socket) a line
counts as written once flushed; a file is fsynced. A FIFO that ``--out`` names is such a
pipe too (``device_sink``).
"""

from __future__ import annotations

import array
import errno
import os
import select
import stat
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import anyio

from pittgoogle_cli._exceptions import OutputClosed
from pittgoogle_cli.outputs.base import Render, Sink, silence_stdout
from pittgoogle_cli.outputs.jsonl import JsonLinesDeviceSink, JsonLinesFileSink, JsonLinesSink
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.render import render_alert

if sys.platform == "linux":
    import fcntl
    import termios

_GONE = select.POLLERR | select.POLLHUP
_WATCH_PERIOD = 0.2  # seconds between looks at an idle pipe's reader
_LONGEST_NAP = 0.01  # seconds; a reader that paused (| less) is looked at 100 times a second


def device_sink(render: Render, path: Path) -> Sink:
    """``--out`` naming a FIFO or a device: a FIFO's lines counted by its reader as a
    pipe's on stdout are (Linux), a device's written as they come; closed at the end.
    Opening a FIFO waits for its reader, as ``cat > FIFO`` does."""
    stream = path.open("ab", buffering=0)
    if _countable(os.fstat(stream.fileno()).st_mode):
        return _FifoSink(render, stream)
    return JsonLinesDeviceSink(render, stream)


def stdout_sink(render: Render = render_alert, stream: BinaryIO | None = None) -> Sink:
    """The sink for stdout: counted by the reader on a Linux pipe, fsynced on a file,
    flushed otherwise."""
    stream = stream if stream is not None else sys.stdout.buffer
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # a notebook's stdout has no descriptor
        return JsonLinesSink(render, stream)
    if _countable(mode):
        return PipeSink(render, stream)
    if stat.S_ISREG(mode):
        return _RedirectedFileSink(render, stream)
    return JsonLinesSink(render, stream)


def _countable(mode: int) -> bool:
    """A pipe whose reader's progress Linux tells (``FIONREAD``): see the module's doc."""
    return stat.S_ISFIFO(mode) and sys.platform == "linux"


class _RedirectedFileSink(JsonLinesFileSink):
    """``pgb pull ... > alerts.jsonl``: a file like ``--out``'s, fsynced before each ack,
    but not closed by pgb."""

    def __init__(self, render: Render, stream: BinaryIO) -> None:
        JsonLinesSink.__init__(self, render, stream)

    async def aclose(self) -> None:
        return None


class PipeSink:
    """One line at a time into a pipe, each counted once the reader took it."""

    def __init__(self, render: Render, stream: BinaryIO) -> None:
        self._render = render
        stream.flush()
        self._stream = stream
        self._fd = stream.fileno()
        self._gone = False

    async def write(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await anyio.to_thread.run_sync(self._write, alerts)

    async def aclose(self) -> None:
        return None

    async def reader_gone(self) -> None:
        """Returns once the reader has left, even while nothing is being written."""
        while not (self._gone or _hung_up(self._fd)):
            await anyio.sleep(_WATCH_PERIOD)

    def _write(self, alerts: Sequence[Alert]) -> None:
        for written, alert in enumerate(alerts):
            line = self._render(alert)
            self._wait_taken(written)
            self._put(line, written)
        self._wait_taken(len(alerts))

    def _wait_taken(self, written: int) -> None:
        """Return once the pipe is empty: every one of the ``written`` lines was taken.
        If the reader left first, the last line it did not take was not written."""
        nap = 0.0
        while _unread(self._fd):
            if _hung_up(self._fd):
                self._closed(max(0, written - 1))
            time.sleep(nap)
            nap = min(_LONGEST_NAP, max(2 * nap, 2e-5))

    def _put(self, line: bytes, written: int) -> None:
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except BrokenPipeError:
            self._closed(written)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            self._closed(written)

    def _closed(self, taken: int) -> None:
        self._gone = True
        if self._stream is sys.stdout.buffer:
            silence_stdout()
        raise OutputClosed("output closed", taken=taken)


class _FifoSink(PipeSink):
    """A FIFO that ``--out`` named: a pipe as stdout's, but pgb's own to close."""

    async def aclose(self) -> None:
        self._stream.close()


def _unread(fd: int) -> int:
    """Bytes written into the pipe and not yet read out of it."""
    buf = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return buf[0]


def _hung_up(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & _GONE for _, events in poller.poll(0))
