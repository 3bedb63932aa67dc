"""From settings to the working parts: the decoder, the filter chain and the output.
Every problem is a ``ConfigError`` (exit 2), raised before anything is pulled."""

from __future__ import annotations

from pathlib import Path

import fastavro

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine.batch import Engine, Reject
from pittgoogle_cli.engine.paths import PathCheck
from pittgoogle_cli.engine.settings import DecodeSettings
from pittgoogle_cli.filters.base import Filter
from pittgoogle_cli.filters.chain import build_filters
from pittgoogle_cli.outputs.base import GuardedSink, Sink
from pittgoogle_cli.outputs.cutouts import CutoutFolderSink
from pittgoogle_cli.outputs.jsonl import JsonLinesSink
from pittgoogle_cli.outputs.pipe import stdout_sink
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.packets.schemas import SchemaRegistry, schema_info
from pittgoogle_cli.shapes.shape import make_renderer, parse_fields


def decoder(settings: DecodeSettings) -> Decoder:
    registry = SchemaRegistry([*settings.schema_dirs, *config.schema_dirs()])
    schemaless = None
    if settings.schema_file is not None:
        try:
            parsed = fastavro.schema.load_schema(str(settings.schema_file))
        except Exception as exc:
            raise ConfigError(f"--schema {settings.schema_file}: {exc}") from None
        schemaless = schema_info(parsed, "avro-schemaless")
    return Decoder(registry, schemaless)


def filters(settings: DecodeSettings) -> list[Filter]:
    return build_filters(
        filters=settings.filters,
        where=settings.where,
        classtar_threshold=settings.classtar_threshold,
        classtar=settings.classtar,
    )


def path_check(settings: DecodeSettings) -> PathCheck:
    """The check of ``--where`` and ``--fields`` paths against each alert schema."""
    from pittgoogle_cli.filters.where import where_filter

    where = where_filter(settings.where).paths if settings.where is not None else ()
    fields = parse_fields(settings.fields) if settings.fields else ()
    return PathCheck(where, fields)


def open_output(
    settings: DecodeSettings, out: str | Path | None = None, *, acked: bool = True
) -> Sink:
    """The sink for ``out`` (default: ``settings.out``) and ``settings.format``. ``acked``:
    what is written will be acked, so on a pipe a line counts only once it was read."""
    target = str(out if out is not None else settings.out or "-")
    shape = settings.shape()
    render = make_renderer(shape)
    fmt = settings.format
    if fmt == "tom":  # TOM's alerts are JSON lines: say so rather than fill a .sqlite with them
        implied = _implied_format(target)
        if implied not in (None, "jsonl"):
            raise ConfigError(
                f"--format tom writes JSON lines, not {implied}: "
                "use stdout, FILE.jsonl or FILE.jsonl.gz"
            )
        fmt = "jsonl"
    if target == "-" and fmt in (None, "jsonl"):
        sink: Sink = stdout_sink(render) if acked else JsonLinesSink(render)
    else:
        from pittgoogle_cli.outputs.choose import open_sink

        sink = open_sink(target, fmt, render)
    sink = GuardedSink(sink, "stdout" if target == "-" else target)
    folder = shape.cutout_folder
    if folder is not None:
        sink = GuardedSink(CutoutFolderSink(folder, sink), f"cutouts to {folder}")
    return sink


def _implied_format(target: str) -> str | None:
    """The format ``--out``'s name implies, or None when it implies none (``x.txt``)."""
    from pittgoogle_cli.outputs.choose import output_format

    try:
        return output_format(target)
    except ConfigError:
        return None


def file_engine(settings: DecodeSettings, reject: Reject, counts: Counts) -> Engine:
    """The engine of local files (``pgb decode``, dead-letter replay): decoder, filters and
    path check from ``settings``, several alerts per message allowed."""
    return Engine(
        decoder(settings), filters(settings), reject, counts, many=True, check=path_check(settings)
    )
