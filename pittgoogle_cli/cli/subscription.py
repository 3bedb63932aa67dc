"""``pgb subscription ...`` (list, create, delete, seek) and ``pgb topics``; the snapshot
commands are in ``snapshot``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import typer

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.help import PgbTyper
from pittgoogle_cli.cli.root import app, json_lines, run, say, table
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT

subscriptions = PgbTyper(
    help="Your subscriptions: list, create, delete, replay (seek) and snapshots.",
    no_args_is_help=True,
)
app.add_typer(subscriptions, name="subscription")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")


def duration(text: str, *, never: bool = False) -> float:
    """``90``, ``90s``, ``10m``, ``12h``, ``7d`` -> seconds; ``never`` -> 0 where allowed."""
    if never and text.strip().lower() == "never":
        return 0.0
    found = _DURATION.fullmatch(text.strip().lower())
    if not found:
        hint = ", or never" if never else ""
        raise ConfigError(f"{text!r} is not a duration (e.g. 600, 10m, 12h, 7d{hint})")
    return float(found.group(1)) * _UNITS[found.group(2) or "s"]


def _human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds == 0:
        return "never"
    for unit in ("d", "h", "m"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


@app.command()
def topics(as_json: opt.Json = False) -> None:
    """Pitt-Google's public topics, from pgb's own list (no permission needed).

    Example: pgb topics; then pgb pull ztf-lite --max 10
    """
    from pittgoogle_cli.pubsub.topics import TOPICS

    if as_json:
        json_lines([t._asdict() | {"project": PITT_GOOGLE_PROJECT} for t in TOPICS])
        return
    table([["TOPIC", "SURVEY", "WHAT IT CARRIES"], *([t.name, t.survey, t.about] for t in TOPICS)])


@subscriptions.command("list")
def list_(
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
    as_json: opt.Json = False,
) -> None:
    """Your project's subscriptions: topic, ack deadline, retention, expiry, filter.

    Pub/Sub's REST API gives no backlog (Cloud Monitoring's num_undelivered_messages does).
    Example: pgb subscription list --json | jq -r .name
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin

    async def main() -> list[Any]:
        async with admin(project, credentials=credentials) as api:
            return [found async for found in api.subscriptions()]

    found = sorted(run(main), key=lambda s: s.name)
    if as_json:
        json_lines([s.as_json() for s in found])
        return
    if not found:
        say("no subscriptions in this project yet (pgb pull creates one)")
        return
    header = ["NAME", "TOPIC", "ACK", "RETENTION", "RETAIN-ACKED", "EXPIRES", "FILTER"]
    rows = [
        [
            s.id,
            _short_topic(s.topic),
            f"{s.ack_deadline_seconds}s",
            _human(s.retention_seconds),
            "yes" if s.retain_acked_messages else "no",
            _human(s.expires_after_seconds),
            s.filter,
        ]
        for s in found
    ]
    table([header, *rows])


def _short_topic(topic: str) -> str:
    """Pitt-Google's topics by their id; others in full."""
    prefix = f"projects/{PITT_GOOGLE_PROJECT}/topics/"
    return topic[len(prefix) :] if topic.startswith(prefix) else topic


@subscriptions.command()
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Subscription id in your project.")],
    topic: Annotated[
        str | None,
        typer.Option(metavar="TOPIC", help="Topic to attach it to (default: NAME)."),
    ] = None,
    topic_project: Annotated[
        str, typer.Option(metavar="PROJECT", help="Project of that topic.")
    ] = PITT_GOOGLE_PROJECT,
    filter: Annotated[
        str,
        typer.Option(
            "--filter",
            metavar="EXPR",
            help="Pub/Sub's server-side filter on attributes, e.g. "
            "'attributes.kafka.topic = \"ztf_20261201_programid1\"'. Fixed at creation.",
        ),
    ] = "",
    ack_deadline: Annotated[
        int, typer.Option(metavar="SECONDS", help="Seconds an alert is yours before redelivery.")
    ] = 60,
    retention: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="Keep unacked alerts this long (10m-31d; 7d)."),
    ] = None,
    retain_acked: Annotated[
        bool,
        typer.Option("--retain-acked", help="Keep acked alerts too, so seek can replay them."),
    ] = False,
    expiration: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Delete it after this long unused (1d or more, or never; default 31d).",
        ),
    ] = None,
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
) -> None:
    """Create a subscription on one of Pitt-Google's topics (or any topic).

    Example: pgb subscription create ztf-loop --retain-acked --retention 1d
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin
    from pittgoogle_cli.pubsub.admin import subscription_body
    from pittgoogle_cli.pubsub.rest import subscription_name, topic_name

    async def main() -> Any:
        body = subscription_body(
            topic_name(topic or _id_of(name), topic_project),
            ack_deadline=ack_deadline,
            retention=duration(retention) if retention is not None else None,
            retain_acked=retain_acked,
            expiration=duration(expiration, never=True) if expiration is not None else None,
            filter=filter,
        )
        async with admin(project, credentials=credentials) as api:
            return await api.create(subscription_name(name, api.project), body)

    made = run(main)
    say(f"created {made.name} on {made.topic}")


def _id_of(name: str) -> str:
    return name.rsplit("/", 1)[-1]


@subscriptions.command()
def delete(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Subscription id in your project.")],
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
) -> None:
    """Delete a subscription; its unacked alerts go with it.

    Example: pgb subscription delete ztf-loop
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin
    from pittgoogle_cli.pubsub.rest import subscription_name

    async def main() -> str:
        async with admin(project, credentials=credentials) as api:
            target = subscription_name(name, api.project)
            await api.delete(target)
            return target.path

    say(f"deleted {run(main)}")


@subscriptions.command()
def seek(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Subscription id in your project.")],
    time: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%z"],
            metavar="ISO8601",
            help="Replay from this time (with its zone: 2026-12-01T03:00:00Z).",
        ),
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option(metavar="SNAPSHOT", help="Replay from this snapshot.")
    ] = None,
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
) -> None:
    """Replay: alerts published after TIME (or the snapshot) come again.

    Acked alerts come back only if the subscription retains acked messages
    (pgb subscription create --retain-acked). Seeking to a later time acks what is before it.
    Example: pgb subscription seek ztf-loop --time 2026-12-01T03:00:00Z
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin
    from pittgoogle_cli.pubsub.rest import snapshot_name, subscription_name

    async def main() -> Any:
        async with admin(project, credentials=credentials) as api:
            target = subscription_name(name, api.project)
            snap = snapshot_name(snapshot, api.project) if snapshot is not None else None
            info = await api.subscription(target)
            await api.seek(target, time=time, snapshot=snap)
            return info

    info = run(main)
    if not info.retain_acked_messages:
        say(
            f"{info.id} does not retain acked alerts: only those not yet acked come again "
            "(create it with --retain-acked to replay everything)"
        )
    say(f"seeked {info.name} to {time.isoformat() if time else snapshot}")
