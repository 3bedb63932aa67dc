"""The options several commands share, each declared once, and the decorator that adds a
group of them to a command and hands the command one object, built by keyword.

    @app.command()
    @with_options(processing=ProcessingOptions)
    def decode(files: ..., processing: ProcessingOptions) -> None: ...

One meaning per option name across commands: ``--format`` names what each line or file
is, ``--max`` how many to write, ``--int64-as-string`` the same integers everywhere.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from pittgoogle_cli._exceptions import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
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
        metavar="FILE",
        help="A service-account key (JSON) to use instead of your login "
        "(default: $GOOGLE_APPLICATION_CREDENTIALS, else the profile's credentials).",
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        metavar="ID",
        help="Your Google Cloud project, which holds your subscriptions and pays for queries "
        "(default: $GOOGLE_CLOUD_PROJECT, else the profile's project).",
    ),
]


def int64_as_string(panel: str | None = None) -> Any:
    """``--int64-as-string``, declared once; each command puts it in its own help panel."""
    return typer.Option(
        "--int64-as-string",
        help="Integers above 2^53 (candid, diaSourceId) as strings: jq 1.6 rounds them.",
        rich_help_panel=panel,
    )


Int64AsString = Annotated[bool, int64_as_string()]
Json = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
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
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Nothing for humans on stderr (progress, cost, summary)."),
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProcessingOptions:
    """Decode, filter, shape and write: ``pgb pull`` and ``pgb decode`` alike."""

    schema_dirs: SchemaDirs = None
    schema_file: SchemaFile = None
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="module:function, path/file.py:function or an installed pgb.filters name; "
            "repeatable, applied in order.",
            rich_help_panel=_FILTER,
        ),
    ] = None
    where: Annotated[
        str | None,
        typer.Option(
            help='Keep alerts matching e.g. "candidate.magpsf < 18 and candidate.drb > 0.9".',
            rich_help_panel=_FILTER,
        ),
    ] = None
    classtar_threshold: Annotated[
        float | None,
        typer.Option(
            min=0, max=1, help="Star/galaxy cut on ZTF's classtar.", rich_help_panel=_FILTER
        ),
    ] = None
    classtar: Annotated[
        Side | None,
        typer.Option(
            "--classtar",
            help="Keep classtar above (gt, the default) or below (lt) the threshold.",
            rich_help_panel=_FILTER,
        ),
    ] = None
    lite: Annotated[
        bool,
        typer.Option(
            "--lite",
            help="Flat view: objectId, candid, jd, ra, dec, magpsf, band, "
            "classtar and the message's metadata.",
            rich_help_panel=_SHAPE,
        ),
    ] = False
    fields: Annotated[
        str | None,
        typer.Option(
            help="Only these fields, e.g. objectId,candidate.magpsf.", rich_help_panel=_SHAPE
        ),
    ] = None
    cutouts: Annotated[
        str,
        typer.Option(
            help="keep, drop, or a folder to write them to as .fits.gz (a path such as "
            "./cutouts, or a folder that exists; the JSON then holds each file's path).",
            rich_help_panel=_SHAPE,
        ),
    ] = "keep"
    envelope: Annotated[
        bool,
        typer.Option(
            "--envelope",
            help="Wrap each alert with messageId, publishTime, attributes.",
            rich_help_panel=_SHAPE,
        ),
    ] = False
    int64_as_string: Annotated[bool, int64_as_string(_SHAPE)] = False
    out: Annotated[
        str | None,
        typer.Option(
            help="Where to write: - (stdout), FILE.jsonl, FILE.jsonl.gz, FILE.sqlite, "
            "FILE.parquet, or a folder for Avro files.",
            rich_help_panel=_OUT,
        ),
    ] = None
    out_format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="jsonl or tom (TOM Toolkit's alert fields) lines, or avro, sqlite, parquet "
            "files when --out's suffix does not say.",
            rich_help_panel=_OUT,
        ),
    ] = None
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Decode, filter and render in N processes (JSON lines only), for cores to spare.",
            rich_help_panel=_DECODE,
        ),
    ] = 1

    def settings(self) -> dict[str, Any]:
        """The keyword arguments of ``DecodeSettings`` (and so ``PullSettings``)."""
        if self.classtar is not None and self.classtar_threshold is None:
            raise ConfigError("--classtar needs --classtar-threshold T")
        from pittgoogle_cli.shapes.shape import cutouts_choice  # (start-up stays light)

        cutouts = cutouts_choice(self.cutouts)
        return {
            "schema_dirs": tuple(self.schema_dirs or ()),
            "schema_file": self.schema_file,
            "classtar_threshold": self.classtar_threshold,
            "classtar": "lt" if self.classtar is Side.lt else "gt",
            "where": self.where,
            "filters": tuple(self.filters or ()),
            "lite": self.lite,
            "fields": self.fields,
            "cutouts": cutouts,
            "envelope": self.envelope,
            "int64_as_string": self.int64_as_string,
            "out": self.out,
            "format": self.out_format.value if self.out_format else None,
            "workers": self.workers,
        }


def with_options(**groups: type) -> Callable[[F], F]:
    """Replace each parameter named in ``groups`` by the fields of its dataclass (as the
    command's own options), and call the command with one instance of it per group."""

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        fields_of = {name: _fields(group) for name, group in groups.items()}
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.name in groups:
                params += fields_of[param.name]
            else:
                params.append(param)

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            for name, group in groups.items():
                own = {p.name: kwargs.pop(p.name) for p in fields_of[name]}
                kwargs[name] = group(**own)
            return command(**kwargs)

        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper  # type: ignore[return-value]

    return decorate


def _fields(group: type) -> list[inspect.Parameter]:
    hints = get_type_hints(group, include_extras=True)
    return [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
        )
        for f in dataclasses.fields(group)
    ]
