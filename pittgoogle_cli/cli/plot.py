"""``pgb plot``: light curves and cutouts as pictures, one file per alert."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.root import app, fail, run, say
from pittgoogle_cli.outputs.base import write_lines, writing

if TYPE_CHECKING:
    from pittgoogle_cli.engine.plots import Drawn

EXTRA_HINT = "pgb plot needs matplotlib and astropy: pip install 'pittgoogle-cli[plot]'"


class PlotFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


@app.command()
def plot(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Alert files (Avro, dead-letter .bin, JSON), JSON lines pgb wrote (.jsonl), "
            "folders, or - for standard input.",
            show_default=False,
        ),
    ] = None,
    object_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--objectId",
            "--object-id",
            metavar="OBJECTID",
            help="A ZTF object from BigQuery, all its alerts' points in one picture "
            "(repeat for several).",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            metavar="DIR",
            help="Folder for the pictures (made if missing).",
        ),
    ] = Path("."),
    fmt: Annotated[PlotFormat, typer.Option("--format", help="Picture format.")] = PlotFormat.png,
    flux: Annotated[
        bool, typer.Option("--flux", help="LSST: psfFlux in nJy instead of AB magnitudes.")
    ] = False,
    schema_dirs: opt.SchemaDirs = None,
    table: Annotated[str | None, typer.Option(help="project.dataset.table for --objectId.")] = None,
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
    max_bytes: Annotated[
        str | None,
        typer.Option(metavar="SIZE", help="--objectId: refuse queries that scan more (exit 5)."),
    ] = None,
    quiet: opt.Quiet = False,
) -> None:
    """Draw each alert's light curve and cutouts into a picture; its path on stdout.

    One file per alert, named objectId_candid.png: the light curve (detections with errors,
    limits of non-detections, by band, in days relative to the alert and MJD) beside the
    science, template and difference cutouts. What an alert lacks (history, cutouts, values)
    is said in its picture. Exit 1 if any alert could not be read, 4 if there was none.

    Examples:
      pgb plot alert.avro
      pgb pull ztf-loop --max 5 | pgb plot - --out pictures
      pgb plot --objectId ZTF18abcdefg --format pdf
    """
    if bool(files) == bool(object_ids):
        fail("give alert files (or -) or --objectId; see `pgb plot --help`", 2)
    try:
        import astropy  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError:
        fail(EXTRA_HINT, 2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: {exc.strerror or exc}", 8)
    counts = {"written": 0, "failed": 0}

    def report(where: str, error: BaseException) -> None:
        counts["failed"] += 1
        say(f"{where}: {error}")

    async def main() -> None:
        from pittgoogle_cli.engine import plots

        drawn: Iterable[Drawn]
        if object_ids:
            drawn = await plots.from_bigquery(
                object_ids,
                project=project,
                credentials=credentials,
                table=table,
                max_bytes=max_bytes,
            )
            for name in sorted(set(object_ids) - {d.alert.get("objectId") for d in drawn}):  # type: ignore[union-attr]
                report(name, LookupError("no alerts with that objectId in the table"))
        else:
            from pittgoogle_cli.engine.build import decoder
            from pittgoogle_cli.engine.settings import DecodeSettings

            settings = DecodeSettings(schema_dirs=tuple(schema_dirs or ()))
            drawn = plots.from_sources(files or [], decoder(settings), report)
        taken: set[str] = set()
        for item in drawn:
            with writing(str(out / plots.file_name(item, fmt.value))):  # disk full: exit 8
                try:
                    path = plots.save(item, out, fmt.value, flux=flux, taken=taken)
                except (ValueError, TypeError, KeyError) as exc:  # an alert unlike any survey's
                    report(item.origin, exc)
                    continue
            counts["written"] += 1
            with writing("stdout"):
                write_lines(sys.stdout.buffer, (f"{path}\n".encode(),))

    run(main)
    if not quiet:
        say(f"{counts['written']} picture{'s' if counts['written'] != 1 else ''} written to {out}")
    if not counts["written"] and not counts["failed"]:
        fail("no alerts found", 4)
    if counts["failed"]:
        raise typer.Exit(4 if not counts["written"] and object_ids else 1)
