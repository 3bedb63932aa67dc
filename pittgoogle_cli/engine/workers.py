"""``--workers N``: decode, filter and render in N processes, for machines with cores to
spare. The parent keeps what must stay in one place: the HTTP pulls and acks, the dead-letter
folder, the output, and the order of the lines.

A batch of messages is cut into slices; each slice goes to a worker with only the messages'
bytes and envelope, and comes back as the JSON lines of the alerts the filters kept, the
count filtered out, and what failed (set aside by the parent, in the dead-letter folder,
before anything is acked). The parent writes the lines in the messages' order, and the ack
rule is the in-process engine's: a message is acked only once its lines are written. At most
one batch is in the workers at a time (memory stays bounded by the batch).

Workers start from a fork server that has imported pgb once (a fork of the pulling process
itself would copy its threads and sockets), and each builds its own decoder, filters and
renderer from the settings: a filter must therefore be named (``module:function``), not an
object of the caller's. Errors that stop a pull (``--where`` naming no field, a filter that
is broken) stop it from a worker as they would in-process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import anyio
import anyio.to_thread

from pittgoogle_cli._exceptions import ConfigError, OutputClosed, PgbError
from pittgoogle_cli.engine.batch import SLICE, Engine, Reject, as_line
from pittgoogle_cli.engine.loop import loop_factory
from pittgoogle_cli.engine.settings import DecodeSettings
from pittgoogle_cli.outputs.base import WORKERS_NEED_LINES, Sink, line_render
from pittgoogle_cli.packets.models import Alert, Counts, LocalMessage, Message

MAX_WORKERS = 64


@dataclass(frozen=True, slots=True)
class SliceResult:
    """What a worker made of a slice: per message, its JSON lines (in order) and what set
    it aside (None if nothing did); how many alerts the filters dropped."""

    lines: list[list[bytes]]
    failures: list[Exception | None]
    filtered: list[int]
    filter_failures: int = 0


@dataclass
class _Worker:
    """A worker process's own engine, built once from the settings."""

    engine: Engine
    render: Callable[[Alert], bytes]
    failed: dict[int, Exception] = field(default_factory=dict)
    # One event loop for the worker's life. anyio.run per slice built one each time, and on
    # Python 3.11 its runner, putting SIGINT's handler back, formatted the finished task's
    # repr, the whole SliceResult (megabytes of lines): ~0.8 ms of CPU per alert.
    loop: asyncio.AbstractEventLoop = field(default_factory=lambda: loop_factory()())


_worker: _Worker | None = None  # set in each worker process by ``_start``


def _start(settings: DecodeSettings, many: bool) -> None:
    from pittgoogle_cli.engine import parts
    from pittgoogle_cli.shapes.shape import make_renderer

    counts = Counts()
    failed: dict[int, Exception] = {}
    engine = Engine(
        parts.decoder(settings),
        parts.filters(settings),
        lambda message, error: failed.__setitem__(id(message), error),
        counts,
        many=many,
        check=parts.path_check(settings),
    )
    global _worker
    _worker = _Worker(engine, make_renderer(settings.shape()), failed)


def _process(envelopes: list[tuple[bytes, str, str, Mapping[str, str]]]) -> SliceResult:
    """In a worker: one slice through the engine, every message looked at."""
    assert _worker is not None, "the pool's initializer sets it"
    return _worker.loop.run_until_complete(_process_async(_worker, envelopes))


async def _process_async(
    worker: _Worker, envelopes: list[tuple[bytes, str, str, Mapping[str, str]]]
) -> SliceResult:
    messages = [LocalMessage(data, mid, when, attrs) for data, mid, when, attrs in envelopes]
    counts = worker.engine.counts
    failures_before = counts.filter_failures
    worker.failed.clear()
    lines: list[list[bytes]] = [[] for _ in messages]
    filtered = [0] * len(messages)
    for index, message in enumerate(messages):
        was = counts.filtered
        for alert in await worker.engine._alerts(message):
            lines[index].append(worker.render(alert))
        filtered[index] = counts.filtered - was
    failures = [worker.failed.get(id(m)) for m in messages]
    return SliceResult(lines, failures, filtered, counts.filter_failures - failures_before)


def _ready() -> bool:
    return _worker is not None


class WorkerEngine:
    """``Engine``'s ``handle`` over a pool of ``workers`` processes. Its sink must write
    lines (``outputs.base.line_render``: ``build.open_output``'s JSON lines)."""

    def __init__(
        self,
        settings: DecodeSettings,
        workers: int,
        reject: Reject,
        counts: Counts,
        *,
        many: bool = False,
    ) -> None:
        if not 2 <= workers <= MAX_WORKERS:
            raise ConfigError(f"--workers takes 1 to {MAX_WORKERS}, not {workers}")
        _check_picklable(settings)
        self.counts, self._reject = counts, reject
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pittgoogle_cli.engine.workers"])
        self._pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start, initargs=(settings, many)
        )
        self.workers = workers

    async def start(self) -> None:
        """Start every worker now (each takes ~0.3 s to build its engine), not on the
        first batch; an error in the settings shows here."""
        futures = [self._pool.submit(_ready) for _ in range(self.workers)]
        for future in futures:
            await anyio.to_thread.run_sync(future.result)

    async def handle(
        self,
        messages: Sequence[Message],
        sink: Sink,
        *,
        room: int | None = None,
        stopped: Callable[[], bool] = lambda: False,
    ) -> int:
        """As ``Engine.handle``: write what is kept, then say how many messages from the
        start of the batch may be acked."""
        if line_render(sink) is None:
            raise ConfigError(WORKERS_NEED_LINES)
        slices = [messages[i : i + SLICE] for i in range(0, len(messages), SLICE)]
        futures = [self._pool.submit(_process, [_envelope(m) for m in s]) for s in slices]
        handled = 0
        try:
            for part, future in zip(slices, futures, strict=True):
                try:
                    result = await anyio.to_thread.run_sync(future.result)
                except BrokenProcessPool as exc:  # nothing of this batch was acked
                    raise PgbError(f"a --workers process died ({exc}): stopped") from None
                done = await self._write(part, result, sink, room, stopped, handled)
                handled += done
                if done < len(part):
                    break
        finally:
            for future in futures:
                future.cancel()
        return handled

    async def _write(
        self,
        messages: Sequence[Message],
        result: SliceResult,
        sink: Sink,
        room: int | None,
        stopped: Callable[[], bool],
        at: int,
    ) -> int:
        kept: list[Alert] = []
        owners: list[int] = []  # the index of each kept line's message
        handled = 0
        self.counts.filter_failures += result.filter_failures
        for index, message in enumerate(messages):
            if stopped() or (room is not None and len(kept) >= room):
                break
            failure = result.failures[index]
            if failure is not None:
                self._reject(message, failure)
                self.counts.dead_lettered += 1
            self.counts.filtered += result.filtered[index]
            kept += [as_line(message, line) for line in result.lines[index]]
            owners += [index] * len(result.lines[index])
            handled += 1
        if kept:
            try:
                await sink.write(kept)
            except OutputClosed as exc:  # the reader left: what it took may be acked
                self.counts.written += exc.taken
                untaken = owners[exc.taken :]
                exc.handled = at + (untaken[0] if untaken else handled)
                raise
            self.counts.written += len(kept)
        return handled

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(lambda: self._pool.shutdown(cancel_futures=True))


def _envelope(message: Message) -> tuple[bytes, str, str, Mapping[str, str]]:
    return (message.data, message.message_id, message.publish_time, dict(message.attributes))


def _check_picklable(settings: DecodeSettings) -> None:
    try:
        pickle.dumps(settings)
    except Exception:
        raise ConfigError(
            "--workers: each worker loads the filters itself, so give them as "
            "'module:function' or a file path, not as Python objects"
        ) from None
