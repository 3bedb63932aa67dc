"""The parts of an engine built from settings: the decoder, the filter chain and the
check of field paths. Every problem is a ``ConfigError`` (exit 2). Both the engine in this
process (``build``) and each ``--workers`` process (``workers``) build them here."""

from __future__ import annotations

import fastavro

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine.paths import PathCheck
from pittgoogle_cli.engine.settings import DecodeSettings
from pittgoogle_cli.filters.base import Filter
from pittgoogle_cli.filters.chain import build_filters
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.schemas import SchemaRegistry, schema_info
from pittgoogle_cli.shapes.shape import parse_fields


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
