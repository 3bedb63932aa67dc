"""JSON lines in a gzip file (``--out alerts.jsonl.gz``), one gzip member per batch.

A gzip file may hold several members one after another; every reader (``gzip.open``,
``zcat``, pandas) reads them as one stream. Writing each batch as its own complete member,
then fsyncing, means the file is a valid gzip file after every ack. A crash in the middle
of a write can only leave a torn last member (of alerts that were not acked, so they come
again); it is cut off when the file is next opened for writing.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import anyio

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.outputs.base import Render
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.render import render_alert

_GZIP_WBITS = 31  # zlib's window bits for the gzip wrapper
_CHUNK = 1 << 20


class GzipJsonLinesSink:
    """Appends each batch as one gzip member, fsynced before ``write`` returns.

    Level 1 by default: full alerts are mostly base64 of already-gzipped cutouts, which
    level 6 shrinks only 5% more (0.52 vs 0.55 of the JSON) at half the speed.
    """

    def __init__(self, path: Path, render: Render = render_alert, level: int = 1) -> None:
        self.path = path
        self._render = render
        self._level = level
        if path.exists():
            _cut_torn_tail(path)
        self._stream = path.open("ab")

    def _write(self, alerts: Sequence[Alert]) -> None:
        lines = b"".join(self._render(alert) for alert in alerts)
        self._stream.write(gzip.compress(lines, compresslevel=self._level, mtime=0))
        self._stream.flush()
        os.fsync(self._stream.fileno())

    async def write(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await anyio.to_thread.run_sync(self._write, alerts)

    async def aclose(self) -> None:
        self._stream.close()


def complete_members_length(path: Path) -> int:
    """How many leading bytes of ``path`` are whole gzip members; the rest is a torn
    member left by an interrupted write. Damage inside the file is an error."""
    good = offset = 0
    inflater = zlib.decompressobj(_GZIP_WBITS)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            while chunk:
                try:
                    inflater.decompress(chunk)
                except zlib.error as exc:
                    raise ConfigError(
                        f"{path} is damaged after byte {good} ({exc}); pgb will not append to it"
                    ) from None
                if not inflater.eof:
                    offset += len(chunk)
                    break
                offset += len(chunk) - len(inflater.unused_data)
                good, chunk = offset, inflater.unused_data
                inflater = zlib.decompressobj(_GZIP_WBITS)
    return good


def _cut_torn_tail(path: Path) -> None:
    length = complete_members_length(path)
    if length != path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(length)
            os.fsync(handle.fileno())
