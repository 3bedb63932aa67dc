"""``pgb pull``."""

from __future__ import annotations

import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from pittgoogle_cli import config
from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.memory import tune_allocator
from pittgoogle_cli.cli.root import app, run, say, stderr
from pittgoogle_cli.engine.settings import PullOutcome, PullSettings
from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT


@app.command()
@opt.with_options(processing=opt.ProcessingOptions)
def pull(
    subscription: Annotated[
        str | None,
        typer.Argument(
            metavar="SUBSCRIPTION",
            help="Subscription id in your project (or projects/P/subscriptions/S); created "
            "on Pitt-Google's topic of the same name if missing (default: the profile's "
            "subscription).",
        ),
    ] = None,
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
            metavar="DIR",
            help="Folder for messages that cannot be decoded (default: $PGB_DEAD_LETTER_DIR, "
            "the profile's dead_letter_dir, else ~/.local/state/pgb/dead-letter).",
        ),
    ] = None,
    give_up_after: Annotated[
        float | None,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="Keep retrying this long while Pub/Sub is unreachable or failing, start-up "
            "included (default: 3600 when streaming, 120 with --max, --timeout or "
            "--until-empty).",
        ),
    ] = None,
    request_timeout: Annotated[
        float,
        typer.Option(
            min=0.1,
            metavar="SECONDS",
            help="Give up on one request after this long and retry it (a stalled link).",
        ),
    ] = 60.0,
    no_ack: Annotated[
        bool,
        typer.Option(
            "--no-ack",
            help="Look without consuming: ack nothing; every alert pulled goes back to the "
            "subscription when the run ends (none comes twice within the run).",
        ),
    ] = False,
    quiet: opt.Quiet = False,
    *,
    processing: opt.ProcessingOptions,
) -> None:
    """Pull alerts and write them as JSON lines to stdout; ack only what was written.

    Examples:
      pgb pull ztf-loop --max 100 | jq .objectId
      pgb pull ztf-alerts --timeout 3600 --out tonight.jsonl.gz
      pgb pull ztf-lite --where "candidate.magpsf < 18" --until-empty
      pgb pull ztf-loop --max 5 --no-ack          # look without consuming
    """

    def settings() -> PullSettings:
        return PullSettings(
            subscription,
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
            give_up_after=give_up_after,
            request_timeout=request_timeout,
            no_ack=no_ack,
            **processing.settings(),
        )

    tune_allocator()  # a pull's load: replies of ~6 MB, many times a second
    outcome = run(lambda: _pull(settings, quiet))
    _report(outcome, quiet)
    if outcome.signal is not None:
        raise typer.Exit(128 + outcome.signal)
    if outcome.counts.filter_failures:  # the run went on, but some alerts need a look
        raise typer.Exit(1)


async def _pull(make_settings: Callable[[], PullSettings], quiet: bool) -> PullOutcome:
    from pittgoogle_cli.engine.pull import Monitor, pull

    settings = make_settings()  # inside run(): a bad --where or --out is a `pgb: ...` line
    monitor: Monitor | None = None  # --quiet: no live line, and rich is never loaded
    if not quiet:
        from pittgoogle_cli.cli.progress import live_progress

        on_stdout = str(settings.out or config.text("out") or "-") == "-"  # as pull() has it
        monitor = partial(live_progress, console=stderr(), data_on_stdout=on_stdout)
    return await pull(settings, handle_signals=True, on_notice=say, monitor=monitor)


def _report(outcome: PullOutcome, quiet: bool) -> None:
    c = outcome.counts
    if c.dead_lettered:
        why = f" ({c.filter_failures} because a filter raised)" if c.filter_failures else ""
        say(
            f"{c.dead_lettered} message(s) could not be decoded or filtered{why}; "
            f"kept in {outcome.dead_letter_folder}"
        )
    if quiet:
        return
    why = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}.get(
        outcome.signal or 0,  # type: ignore[call-overload]
        outcome.reason,
    )
    say(summary(why, c))


def summary(why: str, c: Counts) -> str:
    """``max: 100 written, 0 filtered out, ... in 2.4 s (42.4 alerts/s)``."""
    return (
        f"{why}: {c.written:,} written, {c.filtered:,} filtered out, "
        f"{c.dead_lettered:,} dead-lettered, {c.acked:,} acked, {c.nacked:,} returned "
        f"in {c.elapsed:.1f} s ({c.written / c.elapsed:.1f} alerts/s)"
    )
