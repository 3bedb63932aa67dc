"""``pgb query``: Pitt-Google's BigQuery alert tables as JSON lines, cost first."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.bigquery.rest import (
    DEFAULT_MAX_BYTES,
    PRICE_PER_TIB_USD,
    format_bytes,
    parse_size,
)
from pittgoogle_cli.bigquery.sql import DEFAULT_TABLE, LIGHT_COLUMNS, Query, TableId, alerts_query
from pittgoogle_cli.bigquery.sql import parse_parameter as parse_param
from pittgoogle_cli.cli.options import (
    CredentialsOption,
    Int64AsString,
    ProjectOption,
    Quiet,
    with_options,
)
from pittgoogle_cli.cli.root import app, run, say
from pittgoogle_cli.outputs.base import write_lines, writing
from pittgoogle_cli.shapes.tom import TOM_COLUMNS, to_tom

if TYPE_CHECKING:  # the HTTP stack loads only when a query runs
    from pittgoogle_cli.bigquery.client import Estimate
    from pittgoogle_cli.bigquery.pager import QueryResult


class QueryFormat(str, Enum):
    jsonl = "jsonl"
    tom = "tom"


@dataclass(frozen=True, kw_only=True)
class QueryOptions:
    """``pgb query``'s options, declared once and handed over as one object."""

    object_ids: Annotated[
        list[str] | None,
        typer.Option("--objectId", "--object-id", help="ZTF objectId (repeat for several)."),
    ] = None
    candid: Annotated[int | None, typer.Option(help="One alert, by its candid.")] = None
    sql: Annotated[
        str | None, typer.Option(help="Your own standard SQL; values as @name parameters.")
    ] = None
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help='name:TYPE:value for --sql, e.g. id:STRING:ZTF18abc, ids:ARRAY<STRING>:["a","b"].',
        ),
    ] = None
    max_rows: Annotated[
        int | None, typer.Option("--max", min=1, help="At most N rows (newest first).")
    ] = None
    table: Annotated[str, typer.Option(help="project.dataset.table to look in.")] = DEFAULT_TABLE
    columns: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated columns, e.g. objectId,candidate.magpsf,band "
            f"(default: {','.join(LIGHT_COLUMNS)}).",
        ),
    ] = None
    full: Annotated[bool, typer.Option("--full", help="Whole alerts (every column).")] = False
    output: Annotated[
        QueryFormat,
        typer.Option("--format", help="jsonl: one row per line; tom: TOM Toolkit alert fields."),
    ] = QueryFormat.jsonl
    int64_as_string: Int64AsString = False
    project: ProjectOption = None
    credentials: CredentialsOption = None
    max_bytes: Annotated[
        str | None,
        typer.Option(
            metavar="SIZE",
            help="Refuse queries that would scan more (exit 5); also sent as "
            "maximumBytesBilled. Sizes like 500MB, 10GiB, 1TB (default: $PGB_MAX_BYTES, "
            f"the profile's max_bytes, else {DEFAULT_MAX_BYTES // 2**30}GiB).",
        ),
    ] = None
    price_per_tib: Annotated[
        float,
        typer.Option(envvar="PGB_PRICE_PER_TIB", min=0, help="On-demand USD per TiB scanned."),
    ] = PRICE_PER_TIB_USD
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what the query would scan and cost.")
    ] = False
    page_size: Annotated[
        int | None,
        typer.Option(min=1, help="Rows per request (default: BigQuery's pages, up to 10 MB)."),
    ] = None
    quiet: Quiet = False


@app.command()
@with_options(options=QueryOptions)
def query(*, options: QueryOptions) -> None:
    """Query alerts by objectId or candid (or your own SQL) and write JSON lines to stdout.

    A dry run first says how many bytes the query scans and what that costs; queries over
    --max-bytes are refused with exit code 5.

    Examples:
      pgb query --objectId ZTF18abcdefg | jq .candidate.magpsf
      pgb query --candid 1234567890123456789 --full > alert.json
      pgb query --objectId ZTF18abcdefg --dry-run
    """
    try:
        run(lambda: _query(options))
    except KeyboardInterrupt:
        say("interrupted")
        raise typer.Exit(130) from None


def _say(options: QueryOptions, message: str) -> None:
    if not options.quiet:
        say(message)


async def _query(options: QueryOptions) -> None:
    from pittgoogle_cli.bigquery.client import BigQueryClient

    the_query = build_query(options)
    cap_setting = config.resolve("max_bytes", options.max_bytes)
    try:
        cap = parse_size(str(cap_setting.value))
    except ValueError as exc:
        where = cap_setting.source
        where = where if where.startswith("--") else f"max_bytes from {where}"
        raise ConfigError(f"{where}: {exc}") from None
    async with BigQueryClient(options.project, credentials=options.credentials) as bq:
        estimate = await bq.estimate(the_query, max_bytes=cap, price_per_tib=options.price_per_tib)
        _say_cost(options, estimate, cap, bq.emulator)
        if options.dry_run:
            return
        result = bq.query(
            the_query,
            max_bytes=cap,
            max_rows=options.max_rows,
            page_size=options.page_size,
            int64_as_string=options.int64_as_string,
        )
        async with result:
            await _write(options, result)


def build_query(options: QueryOptions) -> Query:
    """The Query the options ask for; ``ConfigError`` for options that do not go together."""
    keys = [bool(options.object_ids or []), options.candid is not None, options.sql is not None]
    if sum(keys) != 1:
        raise ConfigError("give exactly one of --objectId, --candid or --sql")
    if options.sql is not None:
        if options.columns or options.full:
            raise ConfigError("--columns and --full go with --objectId/--candid, not --sql")
        return Query(options.sql, tuple(parse_param(p) for p in (options.params or [])))
    if options.params or []:
        raise ConfigError("--param goes with --sql")
    if options.columns and options.full:
        raise ConfigError("give --columns or --full, not both")
    columns: tuple[str, ...] | None = None if options.full else LIGHT_COLUMNS
    if options.columns:
        columns = tuple(c for c in options.columns.split(",") if c.strip())
    if options.output is QueryFormat.tom and columns is not None:
        columns = tuple(dict.fromkeys([*columns, *TOM_COLUMNS]))
    return alerts_query(
        TableId.parse(options.table),
        object_ids=(options.object_ids or []),
        candid=options.candid,
        columns=columns,
        limit=options.max_rows,
    )


def _say_cost(options: QueryOptions, estimate: Estimate, cap: int, emulator: bool) -> None:
    where = " (an emulator: nothing is billed)" if emulator else ""
    _say(options, f"{estimate.describe()}; cap {format_bytes(cap)}{where}")
    if estimate.limit_saves_nothing:
        _say(options, "LIMIT (--max) does not reduce the bytes scanned: you pay for the same")
    elif options.sql is not None and options.max_rows is not None:
        _say(options, "--max only stops reading: BigQuery scans and bills the whole query")


async def _write(options: QueryOptions, result: QueryResult) -> None:
    shape: Callable[[dict[str, Any]], Any] = to_tom if options.output is QueryFormat.tom else _same
    started = time.monotonic()
    async for page in result.pages():
        _emit(b"".join(orjson.dumps(shape(row), option=orjson.OPT_APPEND_NEWLINE) for row in page))
    elapsed = max(time.monotonic() - started, 1e-9)
    rows = result.rows_read
    summary = f"{rows:,} row{'s' if rows != 1 else ''} written"
    if result.truncated:
        total = result.total_rows
        more = f" of {total:,}" if total is not None and options.sql is not None else ""
        summary += f"{more}; stopped at --max {options.max_rows} (more rows match)"
    _say(options, f"{summary} in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)")


def _same(row: dict[str, Any]) -> dict[str, Any]:
    return row


def _emit(data: bytes) -> None:
    """One page to stdout. A slow reader blocks the loop: that only delays the next page,
    which is the one thing running meanwhile."""
    with writing("stdout"):
        write_lines(sys.stdout.buffer, (data,))
