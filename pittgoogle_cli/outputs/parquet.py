"""Alerts as a Parquet dataset (``--out alerts.parquet``), typed from their Avro schema.

A Parquet file cannot be appended to and is only readable once its footer is written, so
``alerts.parquet`` is a folder and every batch becomes new files in it:
``part-<UTC time>-<n>-<random>.parquet``, written under a hidden temporary name, fsynced,
renamed and the folder fsynced before ``write`` returns. Readers skip the hidden names, so
a crash leaves nothing half-read.

Columns are the alert's full record (not the ``--lite``/``--fields`` shape), typed by
:func:`arrow_schema` from the Avro writer schema: 64-bit ids are int64, cutouts binary.
Every column is nullable (Parquet ``OPTIONAL``), so that versions combine: a field added
in a later version reads as null in older rows. A batch mixing schemas (ZTF v3.3 and v4.02, LSST v9
and v10) gives one part per schema, its ``pgb.schema`` and ``pgb.version`` in the part's
metadata. ``pyarrow.parquet.read_table(folder)`` reads a folder of one schema; for
several, give the dataset their union::

    parts = sorted(folder.glob("part-*.parquet"))
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    table = pyarrow.dataset.dataset(folder, schema=schema).to_table()

Surveys do not combine (ZTF cutouts are records, LSST's bytes): read each survey's parts
apart, by ``pgb.schema``, or give each survey its own folder. JSON alerts (no Avro
schema) get the types pyarrow infers from their values.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pyarrow as pa
import pyarrow.parquet as pq

from pittgoogle_cli._exceptions import PgbError
from pittgoogle_cli.outputs.arrow_schema import arrow_schema
from pittgoogle_cli.outputs.files import fsync_dirs, replacing
from pittgoogle_cli.packets.cache import PerSchema
from pittgoogle_cli.packets.models import Alert, SchemaInfo

_COMPRESSION = "zstd"


def part_groups(alerts: Sequence[Alert]) -> list[tuple[SchemaInfo, list[Alert]]]:
    """The batch split by writer schema, in order of first appearance."""
    groups: dict[int, tuple[SchemaInfo, list[Alert]]] = {}
    for alert in alerts:
        key = id(alert.schema.schema) if alert.schema.schema is not None else 0
        groups.setdefault(key, (alert.schema, []))[1].append(alert)
    return list(groups.values())


def _arrow_schema(info: SchemaInfo) -> Any:
    metadata = {"pgb.schema": info.name or "", "pgb.version": info.version or ""}
    return arrow_schema(info.schema, metadata, required=False)


class ArrowSchemas(PerSchema[Any]):
    """One Arrow schema per Avro writer schema, converted once."""

    def __init__(self) -> None:
        super().__init__(_arrow_schema)


def to_table(info: SchemaInfo, alerts: Sequence[Alert], schemas: ArrowSchemas) -> Any:
    records = [alert.record for alert in alerts]
    try:
        if info.schema is None:
            return pa.Table.from_pylist(records)
        return pa.Table.from_pylist(records, schema=schemas(info))
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise PgbError(f"alerts of schema {info.name} {info.version} to Parquet: {exc}") from exc


class ParquetDatasetSink:
    """Each batch as one part file per schema, durable before ``write`` returns."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(exist_ok=True)
        self.folder = folder
        self._schemas = ArrowSchemas()
        self._numbers = itertools.count()

    def _part_path(self) -> Path:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"part-{now}-{next(self._numbers):06d}-{uuid.uuid4().hex[:8]}.parquet"
        return self.folder / name

    def _write(self, alerts: Sequence[Alert]) -> None:
        tables = [to_table(info, group, self._schemas) for info, group in part_groups(alerts)]
        for table in tables:
            with replacing(self._part_path()) as handle:
                pq.write_table(table, handle, compression=_COMPRESSION)
        fsync_dirs([self.folder])

    async def write(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await anyio.to_thread.run_sync(self._write, alerts)

    async def aclose(self) -> None:
        return None
