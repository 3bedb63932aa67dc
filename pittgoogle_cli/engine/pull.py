"""``pgb pull`` as a library: pull -> decode -> filter -> write -> ack, an ack only after
the write is durable. Each entry honours every setting that applies to it (``alerts()``
and ``fetch()`` hand out whole alerts, so shapes and outputs are ``pull()``'s)::

    outcome = await pull(settings, out="bright.sqlite")   # counts, and why it stopped
    async for alert in alerts(settings):                  # acked as the loop moves on
        ...
    found = fetch(settings)                               # no event loop needed

Signals are the application's business: ``pull(..., handle_signals=True)`` (the CLI's
choice) makes SIGINT/SIGTERM stop the pull cleanly instead, in seconds even during an
outage (``AlertStream.hurry``).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractContextManager, aclosing, asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError, OutputClosed, sole_error
from pittgoogle_cli.engine import build
from pittgoogle_cli.engine.batch import Engine
from pittgoogle_cli.engine.connect import Connection, connect
from pittgoogle_cli.engine.settings import PullOutcome, PullSettings
from pittgoogle_cli.outputs.base import WORKERS_NEED_LINES, Sink, until_reader_gone
from pittgoogle_cli.outputs.dead_letter import DeadLetterFolder, default_dead_letter_dir
from pittgoogle_cli.packets.models import Alert, Counts
from pittgoogle_cli.pubsub.sequential import SequentialStream
from pittgoogle_cli.pubsub.stream import AlertStream

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

if TYPE_CHECKING:
    from pittgoogle_cli.engine.workers import WorkerEngine

Notice = Callable[[str], None]


class Progress(Protocol):
    """What a progress display reads while a pull runs."""

    @property
    def counts(self) -> Counts: ...

    @property
    def held(self) -> int: ...


Monitor = Callable[[Progress], AbstractContextManager[object]]


async def pull(
    settings: PullSettings,
    *,
    out: str | Path | Sink | None = None,
    handle_signals: bool = False,
    on_notice: Notice | None = None,
    monitor: Monitor | None = None,
) -> PullOutcome:
    """Write alerts to ``out`` (default ``settings.out``, else the profile's ``out``, else
    stdout; or a ``Sink`` of yours) until a stop condition; the outcome says which and what
    was done."""
    parts = build.decoder(settings), build.filters(settings)  # their errors before a pull
    if out is None and settings.out is None:
        out = config.text("out")
    owned = not isinstance(out, Sink)
    if not owned and settings.workers > 1:  # before anything is pulled
        raise ConfigError(WORKERS_NEED_LINES)
    sink = out if isinstance(out, Sink) else build.open_output(settings, out)
    error: BaseException | None = None
    try:
        async with _stream(settings, on_notice) as (connection, stream):
            folder = _dead_letters(settings, connection)
            outcome = PullOutcome(stream.counts, dead_letter_folder=folder.folder)
            check = build.path_check(settings)
            chosen = build.engine(settings, folder.put, stream.counts, check=check, parts=parts)
            async with build.started(chosen) as engine:
                with monitor(stream) if monitor is not None else nullcontext():
                    await _run(stream, engine, sink, settings, outcome, handle_signals)
    except BaseExceptionGroup as group:  # one error (a bad --where path): raised as itself
        error = sole_error(group)
        if error is None:
            raise
    finally:
        if owned:
            await sink.aclose()
    if error is not None:  # out here, its own cause (a broken filter's error) stays with it
        raise error
    return outcome


@asynccontextmanager
async def _stream(
    settings: PullSettings, on_notice: Notice | None
) -> AsyncIterator[tuple[Connection, AlertStream]]:
    connection = connect(settings, on_notice)
    try:
        stream = AlertStream(connection.subscriber, connection.options, on_notice=on_notice)
        async with stream:
            yield connection, stream
    finally:
        await connection.aclose()


def _dead_letters(settings: PullSettings, connection: Connection) -> DeadLetterFolder:
    root = settings.dead_letter_dir or default_dead_letter_dir()
    return DeadLetterFolder(root, connection.subscriber.name.id)


async def _run(
    stream: AlertStream,
    engine: Engine | WorkerEngine,
    sink: Sink,
    settings: PullSettings,
    outcome: PullOutcome,
    handle_signals: bool,
) -> None:
    async with anyio.create_task_group() as watchers:
        if handle_signals:
            watchers.start_soon(_watch_signals, stream, outcome)
        if settings.timeout is not None:
            watchers.start_soon(_watch_clock, stream, outcome, settings.timeout)
        reader = anyio.Event()
        watchers.start_soon(_watch_reader, stream, sink, reader)
        await _pump(stream, engine, sink, settings.max_alerts, outcome)
        watchers.cancel_scope.cancel()
    if reader.is_set():
        raise OutputClosed("output closed")
    if stream.drained and outcome.reason == "interrupted":
        outcome.reason = "drained"


async def _pump(
    stream: AlertStream,
    engine: Engine | WorkerEngine,
    sink: Sink,
    limit: int | None,
    outcome: PullOutcome,
) -> None:
    counts = stream.counts
    while (batch := await stream.next_batch()) is not None:
        room = None if limit is None else limit - counts.written
        messages = [received.message for received in batch]
        try:
            handled = await engine.handle(messages, sink, room=room, stopped=lambda: stream.aborted)
        except OutputClosed as exc:
            stream.ack([received.ack_id for received in batch[: exc.handled]])
            raise
        stream.ack([received.ack_id for received in batch[:handled]])
        del batch, messages  # ~8 MB of ZTF alerts: not kept while the next one comes
        if limit is not None and counts.written >= limit:
            outcome.reason = "max"
            stream.abort()


async def _watch_signals(stream: AlertStream, outcome: PullOutcome) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            outcome.reason, outcome.signal = "signal", int(signum)
            stream.hurry()
            return


async def _watch_reader(stream: AlertStream, sink: Sink, gone: anyio.Event) -> None:
    """A pipe's reader that left (``| head``) ends the pull at once, idle or not; what is
    held goes back to the subscription."""
    await until_reader_gone(sink)
    gone.set()
    stream.abort()


async def _watch_clock(stream: AlertStream, outcome: PullOutcome, seconds: float) -> None:
    await anyio.sleep(seconds)
    if outcome.reason == "interrupted":
        outcome.reason = "timeout"
    stream.abort()


async def alerts(
    settings: PullSettings, *, on_notice: Notice | None = None
) -> AsyncGenerator[Alert, None]:
    """The alerts ``settings`` selects, decoded and filtered; each is acked when the loop
    asks for the next one, and whatever is left is returned to the subscription when the
    loop ends. Close it promptly with ``contextlib.aclosing`` if you leave it early.

    Whole alerts are handed out: the output and shape settings are ``pull()``'s. Each
    alert's turn should take less than half the ack deadline, or the ones pulled with it
    may be delivered again (never lost)."""
    async with (
        sequential(settings, on_notice) as (stream, engine),
        aclosing(_handed_out(stream, engine, settings.max_alerts)) as handed_out,
    ):
        async for alert, ack_id in handed_out:
            yield alert
            stream.ack([ack_id])
            stream.counts.written += 1
            await stream.tend()


async def collect(settings: PullSettings) -> list[Alert]:
    """Every alert ``settings`` selects, acked only once the whole list is made: an error
    or a cancel on the way returns them all to the subscription (``fetch``'s engine)."""
    async with sequential(settings) as (stream, engine):
        found = await gather(stream, engine, settings.max_alerts)
        stream.ack([ack_id for _, ack_id in found])
        await stream.flush()
    return [alert for alert, _ in found]


async def gather(
    stream: SequentialStream, engine: Engine, limit: int | None
) -> list[tuple[Alert, str]]:
    """The kept alerts, each with its ack id, held (not acked) until the stream stops."""
    found: list[tuple[Alert, str]] = []
    async with aclosing(_handed_out(stream, engine, limit)) as handed_out:
        async for alert, ack_id in handed_out:
            found.append((alert, ack_id))
            stream.counts.written += 1
            await stream.tend()
    return found


@asynccontextmanager
async def sequential(
    settings: PullSettings, on_notice: Notice | None = None
) -> AsyncIterator[tuple[SequentialStream, Engine]]:
    """The one-request-at-a-time stream and its engine; what is held is nacked at exit."""
    refuse_shapes(settings)
    decoder, filters = build.decoder(settings), build.filters(settings)
    connection = connect(settings, on_notice)
    stream = SequentialStream(connection.subscriber, connection.options, on_notice=on_notice)
    reject = _dead_letters(settings, connection).put
    engine = Engine(decoder, filters, reject, stream.counts, check=build.path_check(settings))
    try:
        await stream.open(timeout=settings.timeout)  # the clock starts once it is open
        yield stream, engine
    finally:
        with anyio.CancelScope(shield=True):
            try:
                await stream.aclose()
            finally:
                await connection.aclose()


def refuse_shapes(settings: PullSettings) -> None:
    """``alerts()`` and ``fetch()`` hand out whole alerts: a shape or an output asked of
    them would be silently ignored, so it is an error instead."""
    given = [
        name
        for name, value in (
            ("out", settings.out),
            ("format", settings.format),
            ("lite", settings.lite),
            ("fields", settings.fields),
            ("cutouts", settings.cutouts != "keep"),
            ("envelope", settings.envelope),
            ("int64_as_string", settings.int64_as_string),
        )
        if value
    ]
    if given:
        raise ConfigError(
            f"{', '.join(given)}: alerts() and fetch() hand out whole alerts; "
            "shapes and outputs are for pull()"
        )


async def _handed_out(
    stream: SequentialStream, engine: Engine, limit: int | None
) -> AsyncGenerator[tuple[Alert, str], None]:
    """Each kept alert with its ack id (the caller acks it); the rest of each batch,
    filtered out or set aside, is acked here."""
    counts = stream.counts
    while batch := await stream.next_batch(None if limit is None else limit - counts.written):
        room = None if limit is None else limit - counts.written
        processed = await engine.process([received.message for received in batch], room=room)
        kept = {index for index, _ in processed.kept}
        stream.ack([batch[i].ack_id for i in range(processed.handled) if i not in kept])
        for index, alert in processed.kept:
            yield alert, batch[index].ack_id
            if (limit is not None and counts.written >= limit) or stream.expired:
                return
