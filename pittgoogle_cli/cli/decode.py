"""``pgb decode`` and ``pgb schema show``: local files, no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.help import PgbTyper
from pittgoogle_cli.cli.memory import tune_allocator
from pittgoogle_cli.cli.root import app, fail, run, say
from pittgoogle_cli.engine.settings import DecodeOutcome, DecodeSettings

schema_app = PgbTyper(help="What encoding and schema a message or file uses.")
app.add_typer(schema_app, name="schema")


@app.command()
@opt.with_options(processing=opt.ProcessingOptions)
def decode(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Avro files, saved messages, JSON notices (each may be .gz), folders, "
            "or - for standard input.",
            show_default=False,
        ),
    ],
    quiet: opt.Quiet = False,
    *,
    processing: opt.ProcessingOptions,
) -> None:
    """Decode local alert files like `pgb pull` does live; exit 1 if any file failed, 4 if
    there was none.

    A file named is always read. A folder is searched, with its subfolders, for *.avro,
    *.bin and *.json files (gzipped ones too, e.g. *.avro.gz); hidden files and folders
    (.DS_Store) are skipped, and so is X.json next to X.bin (the dead-letter folder's notes).
    Standard input (-) holds what one file would, or Avro files one after another.
    Example: gsutil cat 'gs://BUCKET/ZTF18*.avro' | pgb decode - --lite
    """

    def report(where: str, error: BaseException) -> None:
        say(f"{where}: {error}")

    async def main() -> DecodeOutcome:
        from pittgoogle_cli.engine.local import decode_files  # (its outputs load lazily)

        settings = DecodeSettings(**processing.settings())
        return await decode_files(files, settings, on_error=report, on_notice=say)

    tune_allocator()  # as a pull's: 2,250 ZTF files fault 10,700 pages instead of 66,000
    outcome = run(main)
    if not outcome.files:
        raise typer.Exit(4)  # each folder was named above: nothing found is not found
    if not quiet:
        say(summary(outcome))  # it counts the failed: no second line to say so
    if outcome.failed:
        if quiet:
            fail(f"{outcome.failed} of the alerts or files could not be decoded or filtered", 1)
        raise typer.Exit(1)


def summary(outcome: DecodeOutcome) -> str:
    """``decoded 12 files: 10 written, 1 filtered out, 1 failed``."""
    files = f"{outcome.files:,} file" + ("s" if outcome.files != 1 else "")
    return (
        f"decoded {files}: {outcome.written:,} written, {outcome.filtered:,} filtered out, "
        f"{outcome.failed:,} failed"
    )


@schema_app.command("show")
def schema_show(
    files: Annotated[list[Path], typer.Argument(help="Messages or Avro files.")],
    schema_dirs: opt.SchemaDirs = None,
    schema_file: opt.SchemaFile = None,
) -> None:
    """One JSON line per file: survey, encoding, schema name, version and id.

    Example: pgb schema show alert.avro
    """

    def main() -> int:
        from pittgoogle_cli.engine import build  # fastavro: loaded when a command decodes
        from pittgoogle_cli.engine.local import expand, read_messages
        from pittgoogle_cli.shapes.render import render_line

        settings = DecodeSettings(schema_dirs=tuple(schema_dirs or ()), schema_file=schema_file)
        decoder = build.decoder(settings)
        failed = 0
        for path in expand(files):
            try:
                first = next(read_messages(path))  # of a .gz, of Avro files one after another
                _, info = decoder.decode_all(first.data)[0]
            except Exception as exc:
                say(f"{path}: {exc}")
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
