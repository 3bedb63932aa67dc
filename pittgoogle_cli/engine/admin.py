"""Subscriptions and snapshots for code and for ``pgb subscription``: the project and
credentials resolved as ``pull`` resolves them (none on an emulator).

    async with pgb.subscriptions(project="my-project") as admin:
        async for sub in admin.subscriptions():
            print(sub.id, sub.topic)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.google.retry import RetryPolicy
from pittgoogle_cli.pubsub.admin import Admin
from pittgoogle_cli.pubsub.subscriber import pubsub_client


@asynccontextmanager
async def subscriptions(
    project: str | None = None,
    *,
    credentials: Path | None = None,
    emulator_host: str | None = None,
    give_up_after: float = 120.0,
) -> AsyncIterator[Admin]:
    """An ``Admin`` on the project (default ``GOOGLE_CLOUD_PROJECT``, or the one of your
    credentials); its HTTP client closed on exit."""
    emulator = emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST") or None
    if emulator:
        project = config.text("project", project)
    else:
        from pittgoogle_cli.auth.resolve import resolve_project

        project = resolve_project(project, credentials=credentials)
    if not project:
        raise ConfigError(config.NO_PROJECT)
    client = pubsub_client(
        emulator,
        retry=RetryPolicy(give_up_after=give_up_after),
        credentials=credentials,
        project=project,
    )
    try:
        yield Admin(client, project)
    finally:
        await client.aclose()
