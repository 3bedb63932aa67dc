"""From ``PullSettings`` to a subscription to pull: the project, the credentials (none
on an emulator), the names, and the REST client."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from pittgoogle_cli import config
from pittgoogle_cli.engine.settings import PullSettings
from pittgoogle_cli.google.http import RestClient
from pittgoogle_cli.google.retry import OutageNotices, RetryPolicy
from pittgoogle_cli.pubsub.holding import StreamOptions
from pittgoogle_cli.pubsub.rest import subscription_name, topic_name
from pittgoogle_cli.pubsub.subscriber import Subscriber, pubsub_client


@dataclass(frozen=True, slots=True)
class Connection:
    client: RestClient
    subscriber: Subscriber
    options: StreamOptions

    async def aclose(self) -> None:
        await self.client.aclose()


def connect(settings: PullSettings, on_notice: Callable[[str], None] | None = None) -> Connection:
    """``ConfigError`` for a bad name or no project, ``AuthError`` for no credentials.
    Calls are retried for ``settings.patience`` seconds; ``on_notice`` hears of outages."""
    emulator = settings.emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST") or None
    if emulator:  # no credentials: the project is only a name
        project = config.text("project", settings.project)
    else:
        from pittgoogle_cli.auth.resolve import resolve_project

        project = resolve_project(settings.project, credentials=settings.credentials)
    assert settings.subscription is not None  # PullSettings takes the profile's if None
    name = subscription_name(settings.subscription, project)
    topic = None
    if settings.create:
        topic = topic_name(settings.topic or name.id, settings.topic_project)
    options = StreamOptions(
        topic=topic,
        concurrency=settings.concurrency,
        until_empty=settings.until_empty,
        empty_wait=settings.empty_wait,
        no_ack=settings.no_ack,
    )
    notices = OutageNotices(on_notice) if on_notice is not None else None
    retry = RetryPolicy(give_up_after=settings.patience, notice=notices)
    client = pubsub_client(
        emulator,
        retry=retry,
        credentials=settings.credentials,
        project=project,
        timeout=settings.request_timeout,
    )
    return Connection(client, Subscriber(client, name), options)
