"""``pgb dead-letter list`` and ``pgb dead-letter replay``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.help import PgbTyper
from pittgoogle_cli.cli.root import app, fail, run, say
from pittgoogle_cli.engine.settings import DecodeOutcome, DecodeSettings

dead_letter_app = PgbTyper(
    help="Messages pgb could not decode or filter, kept as they came: list, replay.",
    no_args_is_help=True,
)
app.add_typer(dead_letter_app, name="dead-letter")

Subscription = Annotated[
    str | None,
    typer.Argument(metavar="[SUBSCRIPTION]", help="Only this subscription's (default: all)."),
]
Folder = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        envvar="PGB_DEAD_LETTER_DIR",
        file_okay=False,
        metavar="FOLDER",
        help="The dead-letter folder (default: ~/.local/state/pgb/dead-letter).",
    ),
]


@dead_letter_app.command("list")
def list_(
    subscription: Subscription = None, folder: Folder = None, as_json: opt.Json = False
) -> None:
    """What is kept and why: one line each (subscription, message id, time, error).

    Example: pgb dead-letter list ztf-loop --json | jq -r .error | sort | uniq -c
    """
    from pittgoogle_cli.engine.dead_letters import dead_letters

    async def main() -> int:
        count = 0
        for letter in dead_letters(folder, subscription):
            count += 1
            if as_json:
                sys.stdout.buffer.write(orjson.dumps(letter.as_json()) + b"\n")
            else:
                error = letter.error.splitlines()[0] if letter.error else ""
                sys.stdout.write(
                    f"{letter.subscription}  {letter.message_id}  "
                    f"{letter.publish_time or '-'}  {error}\n"
                )
        return count

    if not run(main):
        say("no dead letters" + (f" for {subscription}" if subscription else ""))


@dead_letter_app.command()
@opt.with_options(processing=opt.ProcessingOptions)
def replay(
    subscription: Subscription = None,
    folder: Folder = None,
    *,
    processing: opt.ProcessingOptions,
) -> None:
    """Decode, filter and write the kept messages again, e.g. after adding a schema folder.

    Each one handled leaves the folder once its output is closed; one that fails again
    stays, with the new reason (exit 1).
    Example: pgb dead-letter replay lsst-alerts --schema-dir ~/lsst-schemas > found.jsonl
    """

    async def main() -> DecodeOutcome:
        from pittgoogle_cli.engine.dead_letters import replay as replay_all

        settings = DecodeSettings(**processing.settings())
        return await replay_all(settings, root=folder, subscription=subscription)

    outcome = run(main)
    say(
        f"replayed {outcome.files}: {outcome.written} written, {outcome.filtered} filtered out, "
        f"{outcome.failed} still failing (kept)"
    )
    if outcome.failed:
        fail(f"{outcome.failed} message(s) still cannot be decoded or filtered", 1)
