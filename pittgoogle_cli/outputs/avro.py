"""The alerts' own Avro, one file per alert: ``<folder>/<objectId>/<candid>.avro``.

Every file is an Avro object container holding one alert, readable by ``fastavro.reader``
(or ``avro-tools``, Spark...) as it is:

- ZTF messages already are such containers: their bytes are written unchanged;
- Confluent wire-format (LSST) and schemaless messages get a container header with their
  writer schema, followed by the message's record bytes, unchanged (not re-encoded).

So the files hold what the survey sent, even when a filter changed the decoded dict.
Only alerts that come without their message's bytes (one of several records in a local
file given to ``pgb decode``) are encoded again from the decoded record.
JSON alerts have no Avro to keep: the first one stops the pull with a ``ConfigError``
before anything of its batch is written (and acked); choose another ``--out`` for them.

Names come from the network, so they are sanitised (see ``safe_component``); an alert
with no objectId goes under ``_unknown``, one with no candid is named by its message id.
A re-delivered alert rewrites its file with the same bytes (an alert with neither candid
nor message id gets a random name). Each file is written to a temporary name, fsynced
and renamed; the folders are fsynced before ``write`` returns.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import fastavro

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.outputs.files import fsync_dirs, write_atomic
from pittgoogle_cli.packets import fields
from pittgoogle_cli.packets.cache import PerSchema
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.names import safe_component

_SYNC_SIZE = 16
_NO_OBJECT = "_unknown"


def _zigzag(value: int) -> bytes:
    """One Avro ``long``: zig-zag, then little-endian base-128 varint."""
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def container_header(schema: Any) -> bytes:
    """The header (magic, schema, null codec, sync marker) of a container for ``schema``,
    made by fastavro; its last 16 bytes are the sync marker every block ends with."""
    buffer = io.BytesIO()
    fastavro.writer(buffer, schema, [], codec="null")
    return buffer.getvalue()


def encode_record(alert: Alert) -> bytes:
    """A container of the decoded record, re-encoded: for alerts without their bytes."""
    buffer = io.BytesIO()
    fastavro.writer(buffer, alert.schema.schema, [alert.record], codec="null")
    return buffer.getvalue()


def record_body(alert: Alert) -> bytes:
    """The message's bytes of its one Avro record (after the wire-format prefix)."""
    if alert.schema.encoding == "confluent-wire":
        return alert.data[5:]
    return alert.data


class AvroFiles:
    """Turns alerts into container files, reusing one header per distinct schema."""

    def __init__(self) -> None:
        self._header: PerSchema[bytes] = PerSchema(lambda info: container_header(info.schema))

    def container(self, alert: Alert) -> bytes:
        if not alert.data:  # one of several alerts in a local file, or made in Python
            return encode_record(alert)
        if alert.schema.encoding == "avro-container":
            return alert.data
        header = self._header(alert.schema)
        body = record_body(alert)
        return b"".join((header, _zigzag(1), _zigzag(len(body)), body, header[-_SYNC_SIZE:]))


def check_avro(alerts: Sequence[Alert]) -> None:
    for alert in alerts:
        if alert.schema.schema is None or alert.schema.encoding == "json":
            raise ConfigError(
                f"alert {fields.object_id(alert.record)!s} (message {alert.message_id}) is "
                "JSON, not Avro: an Avro folder output keeps the surveys' Avro only; "
                "write JSON alerts to .jsonl, .jsonl.gz, .sqlite or .parquet instead"
            )


def alert_path(folder: Path, alert: Alert) -> Path:
    """``folder/<objectId>/<candid>.avro``, both parts sanitised to stay inside."""
    record = alert.record
    object_dir = safe_component(fields.object_id(record) or "") or _NO_OBJECT
    candid = fields.candid(record)
    stem = safe_component(candid if candid is not None else alert.message_id)
    return folder / object_dir / f"{stem or uuid.uuid4().hex}.avro"


class AvroFolderSink:
    """Writes each alert to its own file; returns once files and folders are fsynced.

    A batch is written by up to ``writers`` threads: a file costs an fsync, and the
    filesystem commits concurrent fsyncs together (about twice the alerts/s with 8).
    """

    def __init__(self, folder: Path, writers: int = 8) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._files = AvroFiles()
        self._writers = writers

    def _write_files(self, alerts: Sequence[Alert]) -> set[Path]:
        """Writes the files; returns the folders whose entries changed."""
        touched: set[Path] = set()
        for alert in alerts:
            path = alert_path(self.folder, alert)
            if path.parent not in touched and not path.parent.is_dir():
                path.parent.mkdir(exist_ok=True)
                touched.add(self.folder)  # the new folder's entry
            write_atomic(path, self._files.container(alert))
            touched.add(path.parent)
        return touched

    async def write(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        check_avro(alerts)
        touched: set[Path] = set()

        async def write_share(share: Sequence[Alert]) -> None:
            touched.update(await anyio.to_thread.run_sync(self._write_files, share))

        async with anyio.create_task_group() as tasks:
            for n in range(min(self._writers, len(alerts))):
                tasks.start_soon(write_share, alerts[n :: self._writers])
        await anyio.to_thread.run_sync(fsync_dirs, sorted(touched))

    async def aclose(self) -> None:
        return None
