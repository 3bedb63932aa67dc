"""JSON lines to stdout or a file: flushed on every batch, and fsynced for a file."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import anyio

from pittgoogle_cli.outputs.base import Render, write_lines
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.render import render_alert


class JsonLinesSink:
    """One JSON line per alert to an open binary stream (stdout by default), flushed on
    every batch. ``render`` turns an alert into its line (shapes, ``--envelope``).

    The write runs in a worker thread so a slow reader (``| less``) blocks only the
    writer, not the pulls and the deadline extensions.
    """

    def __init__(self, render: Render = render_alert, stream: BinaryIO | None = None) -> None:
        self._render = render
        self._stream = stream if stream is not None else sys.stdout.buffer

    def _write(self, alerts: Sequence[Alert]) -> None:
        write_lines(self._stream, [self._render(alert) for alert in alerts])

    async def write(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await anyio.to_thread.run_sync(self._write, alerts)

    async def aclose(self) -> None:
        return None


class JsonLinesDeviceSink(JsonLinesSink):
    """JSON lines to a device that ``--out`` named (``/dev/null``), opened unbuffered:
    written on every batch, no fsync (a device has none); closed at the end."""

    async def aclose(self) -> None:
        self._stream.close()


class JsonLinesFileSink(JsonLinesSink):
    """JSON lines appended to a file, fsynced before each ack."""

    def __init__(self, path: Path, render: Render = render_alert) -> None:
        super().__init__(render, path.open("ab"))

    def _write(self, alerts: Sequence[Alert]) -> None:
        super()._write(alerts)
        os.fsync(self._stream.fileno())

    async def aclose(self) -> None:
        self._stream.close()
