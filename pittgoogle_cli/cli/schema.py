"""``pgb schema fields``: every field path of an alert schema, for ``--where`` and
``--fields``. Local files and the schemas pgb ships; no network."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from pittgoogle_cli import config
from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.decode import schema_app
from pittgoogle_cli.cli.root import fail, run, say
from pittgoogle_cli.outputs.base import write_lines

if TYPE_CHECKING:
    from pittgoogle_cli.packets.models import SchemaInfo


@schema_app.command("fields")
def schema_fields(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE", help="An alert (Avro container or wire-format packet) or an .avsc file."
        ),
    ] = None,
    survey: Annotated[
        str | None,
        typer.Option(help="The newest schema pgb ships for this survey: ztf or lsst."),
    ] = None,
    schema_id: Annotated[
        int | None,
        typer.Option(
            "--schema-id", metavar="N", help="A wire-format schema id (LSST: 1000 = v10.0)."
        ),
    ] = None,
    schema_dirs: opt.SchemaDirs = None,
    as_json: opt.Json = False,
) -> None:
    """Every field path of an alert schema, with its Avro type and doc.

    From FILE, --survey or --schema-id (one of them). Paths are spelt as --fields takes
    them (candidate.magpsf, prv_candidates[].magpsf); --where takes those without [].
    Exit 1 if FILE holds no schema, 2 for bad usage, 4 if no folder has the --schema-id.
    Example: pgb schema fields --survey ztf | grep -i magpsf
    """
    if [file, survey, schema_id].count(None) != 2:
        fail("schema fields: give one of FILE, --survey, --schema-id", 2)

    # fastavro and the schemas: loaded when this command runs, not for every pgb --help
    from pittgoogle_cli.packets.schema_fields import field_rows, newest_shipped, schema_of_file
    from pittgoogle_cli.packets.schemas import SchemaRegistry

    async def main() -> SchemaInfo | None:
        registry = SchemaRegistry([*(schema_dirs or ()), *config.schema_dirs()])
        if file is not None:
            return schema_of_file(file, registry)
        if survey is not None:
            return newest_shipped(survey.lower())
        assert schema_id is not None
        return registry.get(schema_id) if registry.find(schema_id) else None

    info = run(main)
    if info is None:
        fail(f"schema fields: no schema id {schema_id} in any folder (add one: --schema-dir)", 4)
    rows = field_rows(info.schema)
    what = " ".join(p for p in ((info.survey or "").upper(), f"v{info.version}") if p)
    say(f"{len(rows)} fields of {what if info.version else info.name or 'the schema'}")
    if as_json:
        lines = [orjson.dumps(asdict(row)) + b"\n" for row in rows]
    else:
        lines = _aligned([["PATH", "TYPE", "DOC"], *([r.path, r.type, r.doc] for r in rows)])

    async def write() -> None:
        write_lines(sys.stdout.buffer, lines)  # | head: exit 141, as pgb pull

    run(write)


def _aligned(rows: list[list[str]]) -> list[bytes]:
    """Columns padded to their widest cell, whatever the terminal's width: grep and cut
    see one field per line."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n").encode()
        for row in rows
    ]
