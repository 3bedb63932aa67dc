"""``pgb pull``."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.app import app, run, stderr
from pittgoogle_cli.cli.progress import live_progress
from pittgoogle_cli.engine.pull import PullOutcome, PullSettings, open_stream, run_pull
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT


@app.command()
def pull(
    subscription: Annotated[
        str,
        typer.Argument(
            help="Subscription id in your project (or projects/P/subscriptions/S); created "
            "on Pitt-Google's topic of the same name if missing."
        ),
    ],
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
    topic: Annotated[
        str | None, typer.Option(help="Topic to attach a new subscription to (default: NAME).")
    ] = None,
    topic_project: Annotated[
        str, typer.Option(help="Project of that topic.")
    ] = PITT_GOOGLE_PROJECT,
    create: Annotated[
        bool, typer.Option(help="Create the subscription when it does not exist.")
    ] = True,
    max_alerts: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after exactly N alerts written.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many seconds.")
    ] = None,
    until_empty: Annotated[
        bool,
        typer.Option(
            "--until-empty",
            help="Stop once the backlog is drained: two pulls in a row, started --empty-wait "
            "seconds or more after the last alert arrived, found nothing.",
        ),
    ] = False,
    empty_wait: Annotated[
        float, typer.Option(min=0, help="Quiet time that counts as drained.")
    ] = 1.0,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Pull requests in flight.")] = 4,
    dead_letter: Annotated[
        Path | None,
        typer.Option(
            envvar="PGB_DEAD_LETTER_DIR",
            help="Folder for messages that cannot be decoded "
            "(default: ~/.local/state/pgb/dead-letter).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress and no summary on stderr.")
    ] = False,
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
    """Pull alerts and write them as JSON lines to stdout; ack only what was written."""

    def settings() -> PullSettings:
        return PullSettings(
            subscription=subscription,
            project=project,
            credentials=credentials,
            topic=topic,
            topic_project=topic_project,
            create=create,
            concurrency=concurrency,
            max_alerts=max_alerts,
            timeout=timeout,
            until_empty=until_empty,
            empty_wait=empty_wait,
            dead_letter_dir=dead_letter,
            processing=opt.processing(
                schema_dirs,
                schema_file,
                filters,
                where,
                classtar_threshold,
                classtar,
                lite,
                fields,
                cutouts,
                envelope,
                out,
                out_format,
                int64_as_string,
            ),
        )

    outcome = run(lambda: _pull(settings, quiet))
    _report(outcome, quiet)
    if outcome.signal is not None:
        raise typer.Exit(128 + outcome.signal)


async def _pull(make_settings: Callable[[], PullSettings], quiet: bool) -> PullOutcome:
    def notice(message: str) -> None:
        stderr.print(f"pgb: {message}", markup=False, soft_wrap=True)

    settings = make_settings()  # inside run(): a bad --where or --out is a `pgb: ...` line
    sink = settings.processing.sink()
    try:
        async with open_stream(settings, on_created=notice) as stream:
            outcome = PullOutcome(stream.counts)
            with live_progress(stream, stderr if not quiet else Console(quiet=True)):
                await run_pull(stream, settings, sink, outcome)
    finally:
        await sink.aclose()
    return outcome


def _report(outcome: PullOutcome, quiet: bool) -> None:
    c = outcome.counts
    if c.dead_lettered:
        stderr.print(
            f"pgb: {c.dead_lettered} message(s) could not be decoded or filtered; "
            f"kept in {outcome.dead_letter_folder}",
            markup=False,
            soft_wrap=True,
        )
    if quiet:
        return
    elapsed = max(time.monotonic() - c.started, 1e-9)
    why = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}.get(
        outcome.signal or 0,
        outcome.reason,  # type: ignore[call-overload]
    )
    stderr.print(
        f"pgb: {why}: {c.written:,} written, {c.filtered:,} filtered out, "
        f"{c.dead_lettered:,} dead-lettered, {c.acked:,} acked, {c.nacked:,} returned "
        f"in {elapsed:.1f} s ({c.written / elapsed:.1f} alerts/s)",
        markup=False,
        soft_wrap=True,
    )
