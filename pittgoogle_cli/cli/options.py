"""The options ``pgb pull`` and ``pgb decode`` share, each defined once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine.processing import Processing, build_filters
from pittgoogle_cli.shapes.shape import ShapeOptions

_DECODE = "Decoding"
_FILTER = "Filters"
_SHAPE = "Shape"
_OUT = "Output"


class Format(str, Enum):
    jsonl = "jsonl"
    tom = "tom"
    avro = "avro"
    sqlite = "sqlite"
    parquet = "parquet"


class Side(str, Enum):
    gt = "gt"
    lt = "lt"


CredentialsOption = Annotated[
    Path | None,
    typer.Option(
        "--credentials",
        dir_okay=False,
        help="A service-account key (JSON) to use instead of your login "
        "(default: $GOOGLE_APPLICATION_CREDENTIALS).",
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(envvar="GOOGLE_CLOUD_PROJECT", help="Your Google Cloud project."),
]


SchemaDirs = Annotated[
    list[Path] | None,
    typer.Option(
        "--schema-dir",
        file_okay=False,
        help="Folder of .avsc files for wire-format (LSST) schema ids; repeatable.",
        rich_help_panel=_DECODE,
    ),
]
SchemaFile = Annotated[
    Path | None,
    typer.Option(
        "--schema",
        dir_okay=False,
        help="Avro schema for messages that are bare Avro records (ELAsTiCC-style).",
        rich_help_panel=_DECODE,
    ),
]
Filters = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help="module:function, path/file.py:function or an installed pgb.filters name; "
        "repeatable, applied in order.",
        rich_help_panel=_FILTER,
    ),
]
Where = Annotated[
    str | None,
    typer.Option(
        help='Keep alerts matching e.g. "candidate.magpsf < 18 and candidate.drb > 0.9".',
        rich_help_panel=_FILTER,
    ),
]
ClasstarThreshold = Annotated[
    float | None,
    typer.Option(min=0, max=1, help="Star/galaxy cut on ZTF's classtar.", rich_help_panel=_FILTER),
]
ClasstarSide = Annotated[
    Side | None,
    typer.Option(
        "--classtar",
        help="Keep classtar above (gt, the default) or below (lt) the threshold.",
        rich_help_panel=_FILTER,
    ),
]
Lite = Annotated[
    bool,
    typer.Option(
        "--lite",
        help="Flat view: objectId, candid, jd, ra, dec, magpsf, band, "
        "classtar and the message's metadata.",
        rich_help_panel=_SHAPE,
    ),
]
Fields = Annotated[
    str | None,
    typer.Option(help="Only these fields, e.g. objectId,candidate.magpsf.", rich_help_panel=_SHAPE),
]
Cutouts = Annotated[
    str,
    typer.Option(
        help="keep, drop, or a folder to write them to as .fits.gz (the JSON then holds "
        "each file's path).",
        rich_help_panel=_SHAPE,
    ),
]
Envelope = Annotated[
    bool,
    typer.Option(
        "--envelope",
        help="Wrap each alert with messageId, publishTime, attributes.",
        rich_help_panel=_SHAPE,
    ),
]
Int64AsString = Annotated[
    bool,
    typer.Option(
        "--int64-as-string",
        help="Integers above 2^53 (candid, diaSourceId) as strings: jq 1.6 rounds them.",
        rich_help_panel=_SHAPE,
    ),
]
Out = Annotated[
    str | None,
    typer.Option(
        help="Where to write: - (stdout), FILE.jsonl, FILE.jsonl.gz, FILE.sqlite, "
        "FILE.parquet, or a folder for Avro files.",
        rich_help_panel=_OUT,
    ),
]
OutFormat = Annotated[
    Format | None,
    typer.Option(
        "--format", help="Output format when --out's suffix does not say.", rich_help_panel=_OUT
    ),
]


def processing(
    schema_dirs: list[Path] | None,
    schema_file: Path | None,
    filters: list[str] | None,
    where: str | None,
    classtar_threshold: float | None,
    classtar: Side | None,
    lite: bool,
    fields: str | None,
    cutouts: str,
    envelope: bool,
    out: str | None,
    out_format: Format | None,
    int64_as_string: bool,
) -> Processing:
    if classtar is not None and classtar_threshold is None:
        raise ConfigError("--classtar needs --classtar-threshold T")
    return Processing(
        schema_dirs=tuple(schema_dirs or ()),
        schema_file=schema_file,
        filters=build_filters(
            filters or [], where, classtar_threshold, "lt" if classtar is Side.lt else "gt"
        ),
        shape=ShapeOptions(
            lite=lite,
            fields=fields,
            cutouts=cutouts,
            envelope=envelope,
            int64_as_string=int64_as_string,
        ),
        out=out,
        format=out_format.value if out_format else None,
    )
