"""``pgb plot``: alerts from files, standard input or BigQuery, one picture each.

What is read: every source ``pgb decode`` reads (Avro files, dead-letter ``.bin``, JSON
notices, folders, ``.gz``), and JSON lines that pgb wrote (``pgb pull``, ``pgb decode``,
``pgb query --full``; cutouts as base64, ``--envelope`` unwrapped). Standard input is
told apart by its first byte: ``{`` is JSON lines, read as they arrive, so that
``pgb pull ... | pgb plot -`` draws each alert while the pull goes on.

An object by its objectId is one picture: its newest alert in BigQuery, with the points of
all its alerts there (each alert's history covers 30 days; together, the whole table's).
BigQuery holds no cutouts; the caption says so.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import CostTooHigh, DecodeError
from pittgoogle_cli.bigquery.rest import format_bytes, parse_size
from pittgoogle_cli.bigquery.sql import TableId, alerts_query
from pittgoogle_cli.engine.local import STDIN, Source, expand, read_messages
from pittgoogle_cli.packets import fields
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Alert

PlotFormat = Literal["png", "svg", "pdf"]
OnError = Callable[[str, BaseException], None]
OBJECT_COLUMNS = ("schemavsn", "objectId", "candid", "candidate", "prv_candidates")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Drawn:
    """An alert to draw: where it came from (for messages), the alert, caption notes."""

    origin: str
    alert: Alert | Mapping[str, Any]
    notes: tuple[str, ...] = ()


def file_name(drawn: Drawn, fmt: PlotFormat) -> str:
    """``ZTF17aaarzyp_2982177112815010003.png``: objectId and candid, safe for any disk."""
    record = drawn.alert.record if isinstance(drawn.alert, Alert) else drawn.alert
    if isinstance(record.get("alert"), Mapping) and "messageId" in record:
        record = record["alert"]
    name, candid = fields.object_id(dict(record)), fields.candid(dict(record))
    stem = "_".join(str(p) for p in (name, candid) if p is not None) or "alert"
    return f"{_UNSAFE.sub('-', stem)}.{fmt}"


def from_sources(sources: Iterable[Source], decoder: Decoder, on_error: OnError) -> Iterator[Drawn]:
    """Each alert in ``sources`` (files, folders, ``-``); what cannot be read is reported to
    ``on_error(where, error)`` and the rest go on."""
    for source in expand(sources):
        where = "<stdin>" if source == STDIN else str(source)
        try:
            if _is_json_lines(source):
                yield from _json_lines(source, where, on_error)
            else:
                yield from _avro(source, decoder, on_error)
        except (OSError, EOFError) as exc:
            on_error(where, exc)


def _is_json_lines(source: Source) -> bool:
    if source == STDIN:
        stream = sys.stdin.buffer
        head = stream.peek(64) if isinstance(stream, io.BufferedReader) else b""
        return head.lstrip()[:1] in (b"{", b"")  # JSON lines, or nothing but blank lines
    name = Path(source).name.removesuffix(".gz")
    return name.endswith((".jsonl", ".ndjson"))


def _json_lines(source: Source, where: str, on_error: OnError) -> Iterator[Drawn]:
    import gzip

    if source == STDIN:
        lines: Iterable[bytes] = iter(sys.stdin.buffer.readline, b"")
        opened = None
    else:
        path = Path(source)
        opened = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115
        lines = opened
    try:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                on_error(f"{where} line {number}", DecodeError(f"not JSON: {exc}"))
                continue
            if isinstance(record, dict):
                yield Drawn(f"{where} line {number}", record)
            else:
                on_error(f"{where} line {number}", DecodeError("not a JSON object"))
    finally:
        if opened is not None:
            opened.close()


def _avro(source: Source, decoder: Decoder, on_error: OnError) -> Iterator[Drawn]:
    for message in read_messages(source):
        try:
            decoded = decoder.decode_all(message.data)
        except DecodeError as exc:
            on_error(message.origin, exc)
            continue
        for record, info in decoded:
            yield Drawn(message.origin, Alert(record, data=message.data, schema=info))


async def from_bigquery(
    object_ids: Sequence[str],
    *,
    project: str | None = None,
    credentials: Path | None = None,
    table: str | None = None,
    max_bytes: str | int | None = None,
) -> list[Drawn]:
    """One alert per objectId found in Pitt-Google's BigQuery table, its history the union
    of all its alerts' (``CostTooHigh`` over the cap, ``pgb query``'s); an objectId with no
    alerts there gives none."""
    from pittgoogle_cli.bigquery.client import BigQueryClient
    from pittgoogle_cli.bigquery.sql import DEFAULT_TABLE

    query = alerts_query(
        TableId.parse(table or DEFAULT_TABLE), object_ids=list(object_ids), columns=OBJECT_COLUMNS
    )
    cap = parse_size(str(config.resolve("max_bytes", max_bytes).value))
    async with BigQueryClient(project, credentials=credentials) as bq:
        estimate = await bq.estimate(query, max_bytes=None)
        if estimate.bytes > cap:
            raise CostTooHigh(f"{estimate.describe()}, more than the cap of {format_bytes(cap)}")
        async with bq.query(query, max_bytes=cap) as result:
            rows = [row async for row in result]
    found = ([r for r in rows if r.get("objectId") == name] for name in dict.fromkeys(object_ids))
    return [_object(mine) for mine in found if mine]


def _object(rows: list[dict[str, Any]]) -> Drawn:
    """The newest of an object's alerts (the query's first row) with every point of all."""
    newest = dict(rows[0])
    history: list[Any] = list(newest.get("prv_candidates") or ())
    for older in rows[1:]:
        history += [older.get("candidate"), *(older.get("prv_candidates") or ())]
    newest["prv_candidates"] = [entry for entry in history if isinstance(entry, Mapping)]
    notes = (
        f"from BigQuery: {len(rows)} alert{'s' if len(rows) != 1 else ''} of this object",
        "BigQuery holds no cutouts",
    )
    return Drawn(f"BigQuery {newest.get('objectId')}", newest, notes)


def save(
    drawn: Drawn,
    folder: Path,
    fmt: PlotFormat = "png",
    *,
    flux: bool = False,
    taken: set[str] | None = None,
) -> Path:
    """Draw ``drawn`` and write it into ``folder``; the file's path. A name already in
    ``taken`` (two alerts with one objectId and candid in a run) gets ``-2``, ``-3``...; a
    second run writes the same names again. The figure is dropped at once (pgb holds one at
    a time, so memory stays flat over any number of alerts)."""
    from pittgoogle_cli.figures.figure import plot

    figure = plot(drawn.alert, flux=flux, notes=drawn.notes)
    name = file_name(drawn, fmt)
    if taken is not None:
        stem, n = name.removesuffix(f".{fmt}"), 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}.{fmt}"
        taken.add(name)
    path = folder / name
    figure.savefig(path, format=fmt, metadata=_metadata(fmt))
    figure.clear()
    return path


def _metadata(fmt: PlotFormat) -> dict[str, Any]:
    """No creation date in the file: the same alert gives the same bytes (reviewable)."""
    return {"CreationDate": None} if fmt == "pdf" else {"Date": None} if fmt == "svg" else {}
