"""``pgb subscription snapshot ...``: create, list, delete."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.help import PgbTyper
from pittgoogle_cli.cli.root import json_lines, run, say, table
from pittgoogle_cli.cli.subscription import subscriptions

snapshots = PgbTyper(help="Snapshots of a subscription, to seek back to.", no_args_is_help=True)
subscriptions.add_typer(snapshots, name="snapshot")


@snapshots.command("create")
def snapshot_create(
    name: Annotated[str, typer.Argument(metavar="SNAPSHOT", help="Snapshot id to create.")],
    subscription: Annotated[
        str, typer.Option(metavar="NAME", help="The subscription whose state it keeps.")
    ],
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
) -> None:
    """Keep a subscription's state (what is unacked) to seek back to later.

    Example: pgb subscription snapshot create before-run --subscription ztf-loop
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin
    from pittgoogle_cli.pubsub.rest import snapshot_name, subscription_name

    async def main() -> Any:
        async with admin(project, credentials=credentials) as api:
            return await api.create_snapshot(
                snapshot_name(name, api.project), subscription_name(subscription, api.project)
            )

    made = run(main)
    say(f"created {made.name} (expires {made.expire_time or 'in at most 7 days'})")


@snapshots.command("list")
def snapshot_list(
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
    as_json: opt.Json = False,
) -> None:
    """Your project's snapshots.

    Example: pgb subscription snapshot list
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin

    async def main() -> list[Any]:
        async with admin(project, credentials=credentials) as api:
            return [found async for found in api.snapshots()]

    found = sorted(run(main), key=lambda s: s.name)
    if as_json:
        json_lines([{"name": s.name, "topic": s.topic, "expireTime": s.expire_time} for s in found])
    elif found:
        table([["NAME", "TOPIC", "EXPIRES"], *([s.id, s.topic, s.expire_time] for s in found)])
    else:
        say("no snapshots in this project")


@snapshots.command("delete")
def snapshot_delete(
    name: Annotated[str, typer.Argument(metavar="SNAPSHOT", help="Snapshot id.")],
    project: opt.ProjectOption = None,
    credentials: opt.CredentialsOption = None,
) -> None:
    """Delete a snapshot.

    Example: pgb subscription snapshot delete before-run
    """
    from pittgoogle_cli.engine.admin import subscriptions as admin
    from pittgoogle_cli.pubsub.rest import snapshot_name

    async def main() -> str:
        async with admin(project, credentials=credentials) as api:
            target = snapshot_name(name, api.project)
            await api.delete_snapshot(target)
            return target.path

    say(f"deleted {run(main)}")
