"""pull -> decode -> filter -> write -> ack, with an ack only after the write is flushed.

Usable from Python::

    async with open_stream(PullSettings("ztf-loop", project="my-project")) as stream:
        async for alert in alerts(stream):
            print(alert.object_id)   # acked once you ask for the next one
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from pittgoogle_cli._exceptions import DecodeError
from pittgoogle_cli.alerts.decode import Decoder
from pittgoogle_cli.alerts.models import Alert
from pittgoogle_cli.engine.processing import Processing
from pittgoogle_cli.outputs.jsonl import DeadLetterFolder, Sink, default_dead_letter_dir
from pittgoogle_cli.pubsub.rest import (
    PITT_GOOGLE_PROJECT,
    ReceivedMessage,
    subscription_name,
    topic_name,
)
from pittgoogle_cli.pubsub.stream import AlertStream, Counts, StreamOptions
from pittgoogle_cli.pubsub.subscriber import Subscriber, pubsub_client

Filter = Callable[[dict[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]


@dataclass(frozen=True, slots=True)
class PullSettings:
    """Everything ``pgb pull`` needs, in one place."""

    subscription: str
    project: str | None = None
    topic: str | None = None  # default: the subscription's id, in topic_project
    topic_project: str = PITT_GOOGLE_PROJECT
    create: bool = True
    concurrency: int = 4
    max_alerts: int | None = None
    timeout: float | None = None
    until_empty: bool = False
    empty_wait: float = 1.0
    dead_letter_dir: Path | None = None
    emulator_host: str | None = None  # None: read PUBSUB_EMULATOR_HOST
    credentials: Path | None = None  # None: GOOGLE_APPLICATION_CREDENTIALS, login, ADC...
    processing: Processing = field(default_factory=Processing)


class FilterFailed(Exception):
    """A user filter raised; the alert goes to the dead-letter folder with the traceback."""


@asynccontextmanager
async def open_stream(
    settings: PullSettings, *, on_created: Callable[[str], None] | None = None
) -> AsyncIterator[AlertStream]:
    emulator = settings.emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST") or None
    if emulator:  # no credentials: the project is only a name
        project = settings.project or os.environ.get("GOOGLE_CLOUD_PROJECT") or None
    else:
        from pittgoogle_cli.auth.resolve import resolve_project

        project = resolve_project(settings.project, credentials=settings.credentials)
    name = subscription_name(settings.subscription, project)
    topic = None
    if settings.create:
        topic = topic_name(settings.topic or name.id, settings.topic_project)
    options = StreamOptions(
        topic=topic,
        concurrency=settings.concurrency,
        until_empty=settings.until_empty,
        empty_wait=settings.empty_wait,
    )
    client = pubsub_client(emulator, credentials=settings.credentials, project=project)
    try:
        async with AlertStream(Subscriber(client, name), options, on_created=on_created) as s:
            yield s
    finally:
        await client.aclose()


def to_alert(received: ReceivedMessage, decoder: Decoder) -> Alert:
    message = received.message
    record, schema = decoder.decode(message.data)
    return Alert(
        record, message.message_id, message.publish_time, message.attributes, message.data, schema
    )


async def alerts(
    stream: AlertStream, *, decoder: Decoder | None = None, dead_letters: Path | None = None
) -> AsyncIterator[Alert]:
    """Decoded alerts; each is acked when the next one is asked for. Messages that do not
    decode go to the dead-letter folder and are acked."""
    decoder = decoder or Decoder()
    folder = DeadLetterFolder(dead_letters or default_dead_letter_dir(), stream.subscriber.name.id)
    while (batch := await stream.next_batch()) is not None:
        for received in batch:
            try:
                alert = to_alert(received, decoder)
            except DecodeError as exc:
                folder.put(received, exc)
                stream.counts.dead_lettered += 1
                stream.ack([received.ack_id])
                continue
            yield alert
            stream.ack([received.ack_id])
            stream.counts.written += 1


async def apply_filters(alert: Alert, filters: Sequence[Filter]) -> Alert | None:
    record: dict[str, Any] | None = alert.record
    for keep in filters:
        try:
            result = keep(record)  # type: ignore[arg-type]
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            raise FilterFailed(f"filter {_name(keep)} raised {exc!r}") from exc
        if result is None:
            return None
        record = result
    if record is alert.record or record is None:
        return alert
    return dataclasses.replace(alert, record=record)


def _name(obj: object) -> str:
    return getattr(obj, "__qualname__", None) or repr(obj)


@dataclass(slots=True)
class PullOutcome:
    counts: Counts
    reason: str = "interrupted"  # max | timeout | drained | signal | interrupted
    signal: int | None = None
    dead_letter_folder: Path | None = None


async def run_pull(
    stream: AlertStream, settings: PullSettings, sink: Sink, outcome: PullOutcome
) -> None:
    """Write alerts to ``sink`` until a stop condition; ``outcome`` says which."""
    folder = DeadLetterFolder(
        settings.dead_letter_dir or default_dead_letter_dir(), stream.subscriber.name.id
    )
    outcome.dead_letter_folder = folder.folder
    async with anyio.create_task_group() as watchers:
        watchers.start_soon(_watch_signals, stream, outcome)
        if settings.timeout is not None:
            watchers.start_soon(_watch_clock, stream, outcome, settings.timeout)
        await _pump(stream, settings, sink, folder, outcome)
        watchers.cancel_scope.cancel()
    if stream.drained and outcome.reason == "interrupted":
        outcome.reason = "drained"


async def _pump(
    stream: AlertStream,
    settings: PullSettings,
    sink: Sink,
    folder: DeadLetterFolder,
    outcome: PullOutcome,
) -> None:
    decoder, counts, limit = settings.processing.decoder(), stream.counts, settings.max_alerts
    filters = settings.processing.filters
    while (batch := await stream.next_batch()) is not None:
        kept: list[Alert] = []
        handled: list[str] = []
        for index, received in enumerate(batch):
            if stream.aborted or (limit is not None and counts.written + len(kept) >= limit):
                break
            try:
                alert = await apply_filters(to_alert(received, decoder), filters)
            except (DecodeError, FilterFailed) as exc:
                folder.put(received, exc)
                counts.dead_lettered += 1
            else:
                if alert is None:
                    counts.filtered += 1
                else:
                    kept.append(alert)
            handled.append(received.ack_id)
            if index % 16 == 15:
                await anyio.lowlevel.checkpoint()  # let pull replies in while we decode
        if kept:
            await sink.write(kept)
            counts.written += len(kept)
        stream.ack(handled)
        if limit is not None and counts.written >= limit:
            outcome.reason = "max"
            stream.abort()


async def _watch_signals(stream: AlertStream, outcome: PullOutcome) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            outcome.reason, outcome.signal = "signal", int(signum)
            stream.abort()
            return


async def _watch_clock(stream: AlertStream, outcome: PullOutcome, seconds: float) -> None:
    await anyio.sleep(seconds)
    if outcome.reason == "interrupted":
        outcome.reason = "timeout"
    stream.abort()


def rate(counts: Counts) -> float:
    elapsed = time.monotonic() - counts.started
    return counts.written / elapsed if elapsed > 0 else 0.0
