"""``pgb decode`` and ``pgb schema show``: local files, no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.app import app, fail, run, stderr
from pittgoogle_cli.engine.local import decode_files, expand
from pittgoogle_cli.engine.processing import Processing
from pittgoogle_cli.shapes.render import render_line

schema_app = typer.Typer(help="What encoding and schema a message or file uses.")
app.add_typer(schema_app, name="schema")


@app.command()
def decode(
    files: Annotated[
        list[Path], typer.Argument(help="Avro files, saved messages, JSON notices or folders.")
    ],
    schema_dirs: opt.SchemaDirs = None,
    schema_file: opt.SchemaFile = None,
    filters: opt.Filters = None,
    where: opt.Where = None,
    classtar_threshold: opt.ClasstarThreshold = None,
    classtar: opt.ClasstarSide = None,
    lite: opt.Lite = False,
    fields: opt.Fields = None,
    cutouts: opt.Cutouts = "keep",
    envelope: opt.Envelope = False,
    int64_as_string: opt.Int64AsString = False,
    out: opt.Out = None,
    out_format: opt.OutFormat = None,
) -> None:
    """Decode local alert files like `pgb pull` does live; exit 1 if any file failed."""

    def settings() -> Processing:
        return opt.processing(
            schema_dirs, schema_file, filters, where, classtar_threshold, classtar,
            lite, fields, cutouts, envelope, out, out_format, int64_as_string,
        )  # fmt: skip

    def report(path: Path, error: BaseException) -> None:
        stderr.print(f"pgb: {path}: {error}", markup=False, soft_wrap=True)

    async def main() -> tuple[int, int]:
        processing = settings()
        sink = processing.sink()
        try:
            counts = await decode_files(files, processing, sink, report)
        finally:
            await sink.aclose()
        return counts.written, counts.failed

    _, failed = run(main)
    if failed:
        fail(f"{failed} of the alerts or files could not be decoded or filtered", 1)


@schema_app.command("show")
def schema_show(
    files: Annotated[list[Path], typer.Argument(help="Messages or Avro files.")],
    schema_dirs: opt.SchemaDirs = None,
    schema_file: opt.SchemaFile = None,
) -> None:
    """One JSON line per file: survey, encoding, schema name, version and id."""

    def main() -> int:
        decoder = Processing(tuple(schema_dirs or ()), schema_file).decoder()
        failed = 0
        for path in expand(files):
            try:
                _, info = decoder.decode_all(path.read_bytes())[0]
            except Exception as exc:
                stderr.print(f"pgb: {path}: {exc}", markup=False, soft_wrap=True)
                failed += 1
                continue
            line = {
                "file": str(path),
                "survey": info.survey,
                "encoding": info.encoding,
                "schema": info.name,
                "version": info.version,
                "schemaId": info.schema_id,
            }
            typer.echo(render_line(line).decode(), nl=False)
        return failed

    async def amain() -> int:
        return main()

    if run(amain):
        raise typer.Exit(1)
