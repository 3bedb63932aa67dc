"""Where alerts go: JSON lines to stdout or a file, and the dead-letter folder.

A sink's ``write`` returns only once the alerts are flushed to the OS (and fsynced for a
file), because the caller acks them right after it.
"""

from __future__ import annotations

import os
import sys
import traceback
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio
import orjson
import platformdirs

from pittgoogle_cli._exceptions import PgbError
from pittgoogle_cli.alerts.models import Alert
from pittgoogle_cli.outputs.files import safe_component, write_atomic
from pittgoogle_cli.pubsub.rest import ReceivedMessage
from pittgoogle_cli.shapes.render import render_alert

Render = Callable[[Alert], bytes]


class OutputClosed(PgbError):
    """The reader of stdout went away (``pgb pull | head``); exit 141 like SIGPIPE."""

    exit_code = 141


class Sink(Protocol):
    """Takes a batch of alerts (after filters) and returns once they are durable."""

    async def write(self, alerts: Sequence[Alert]) -> None: ...

    async def aclose(self) -> None: ...


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
        lines = [self._render(alert) for alert in alerts]
        try:
            self._stream.writelines(lines)
            self._stream.flush()
        except BrokenPipeError:
            _silence_stdout()
            raise OutputClosed("output closed") from None

    async def write(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await anyio.to_thread.run_sync(self._write, alerts)

    async def aclose(self) -> None:
        return None


class JsonLinesFileSink(JsonLinesSink):
    """JSON lines appended to a file, fsynced before each ack."""

    def __init__(self, path: Path, render: Render = render_alert) -> None:
        super().__init__(render, path.open("ab"))

    def _write(self, alerts: Sequence[Alert]) -> None:
        super()._write(alerts)
        os.fsync(self._stream.fileno())

    async def aclose(self) -> None:
        self._stream.close()


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so Python's exit flush cannot complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def default_dead_letter_dir() -> Path:
    """``$PGB_DEAD_LETTER_DIR``, else the platform's state folder: on Linux
    ``~/.local/state/pgb/dead-letter`` (``$XDG_STATE_HOME`` is honoured)."""
    configured = os.environ.get("PGB_DEAD_LETTER_DIR")
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_state_path("pgb") / "dead-letter"


class DeadLetterFolder:
    """Messages that could not be handled, each kept as two files in
    ``ROOT/SUBSCRIPTION/``: ``<messageId>.bin`` (the exact bytes) and ``<messageId>.json``
    (the error, traceback, attributes and publish time)."""

    def __init__(self, root: Path, subscription: str) -> None:
        self.folder = root / subscription
        self.count = 0

    def put(self, received: ReceivedMessage, error: BaseException) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        message = received.message
        stem = safe_component(message.message_id) or uuid.uuid4().hex
        details = {
            "error": f"{type(error).__name__}: {error}",
            "traceback": "".join(traceback.format_exception(error)),
            "messageId": message.message_id,
            "publishTime": message.publish_time,
            "attributes": message.attributes,
            "size": len(message.data),
        }
        write_atomic(self.folder / f"{stem}.bin", message.data)
        path = self.folder / f"{stem}.json"
        write_atomic(path, orjson.dumps(details, option=orjson.OPT_INDENT_2))
        self.count += 1
        return path
