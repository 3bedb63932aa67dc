"""Pulling a subscription with several requests in flight, holding what was pulled until
the caller acks or nacks it, and extending deadlines of what is held too long.

Every pulled message is *held* from the moment its pull reply arrives until it is acked or
nacked; closing the stream nacks (deadline 0) whatever is still held, so a message is
never left waiting for its deadline because pgb stopped, and never acked unless the caller
said so. That one rule is what makes at-least-once hold through ``--max``, timeouts,
signals and errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pittgoogle_cli._exceptions import NotFound, PgbError, add_context
from pittgoogle_cli.pubsub.rest import ReceivedMessage, ResourceName
from pittgoogle_cli.pubsub.subscriber import Subscriber

Batch = list[ReceivedMessage]

_EMPTY_BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.5)
_CLOSE_GRACE = 10.0  # seconds to let in-flight pulls finish at close before cancelling them


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How to pull. ``until_empty`` stops once two pulls in a row, each started at least
    ``empty_wait`` seconds after the last message arrived, came back empty."""

    topic: ResourceName | None = None
    concurrency: int = 4
    pull_size: int = 100
    ack_deadline: int = 60
    until_empty: bool = False
    empty_wait: float = 1.0


@dataclass(slots=True)
class Counts:
    """What happened so far; read by the progress display and the summary."""

    pulled: int = 0
    written: int = 0
    filtered: int = 0
    dead_lettered: int = 0
    acked: int = 0
    nacked: int = 0
    started: float = field(default_factory=time.monotonic)


class AlertStream:
    """``async with AlertStream(subscriber, options) as stream:`` then ``next_batch()``,
    ``ack()``, ``nack()``. See ``pipeline`` for the decode-filter-write loop on top."""

    def __init__(
        self,
        subscriber: Subscriber,
        options: StreamOptions | None = None,
        *,
        on_created: Callable[[str], None] | None = None,
    ) -> None:
        self.subscriber = subscriber
        self.options = options or StreamOptions()
        self.counts = Counts()
        self._on_created = on_created
        self._held: dict[str, float] = {}  # ack_id -> when its deadline runs out (monotonic)
        self._to_ack: list[str] = []
        self._to_nack: list[str] = []
        self._acker_wakeup = anyio.Event()
        self._ack_lock = anyio.Lock()
        self._stopping = False
        self._aborted = False
        self._drained = False
        self._last_message_at = time.monotonic()
        self._empty_streak = 0
        self._quiet_pulls = 0
        self._deadline = self.options.ack_deadline
        # No buffer: a puller holds its batch until the writer takes it, so at most
        # `concurrency` pulled batches wait (each ~8 MB of ZTF alerts): memory stays flat.
        send, receive = anyio.create_memory_object_stream[Batch](0)
        self._send: MemoryObjectSendStream[Batch] = send
        self._receive: MemoryObjectReceiveStream[Batch] = receive
        self._receive_scope: anyio.CancelScope | None = None
        self._tasks: TaskGroup | None = None
        self._pullers = anyio.CancelScope()
        self._pullers_done = anyio.Event()

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def drained(self) -> bool:
        """True when ``until_empty`` saw the backlog empty."""
        return self._drained

    @property
    def aborted(self) -> bool:
        return self._aborted

    async def __aenter__(self) -> AlertStream:
        try:
            await self._ensure_subscription()
        except BaseException:
            self._send.close()
            self._receive.close()
            raise
        self._tasks = anyio.create_task_group()
        await self._tasks.__aenter__()
        self._tasks.start_soon(self._run_pullers)
        self._tasks.start_soon(self._acker)
        self._tasks.start_soon(self._leaser)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._tasks is not None
        self.abort()
        with anyio.CancelScope(shield=True):
            await self._close()
        return await self._tasks.__aexit__(exc_type, exc, tb)

    async def _close(self) -> None:
        with anyio.move_on_after(_CLOSE_GRACE):
            async for _ in self._receive:  # unblock pullers waiting to hand over a batch
                pass
        self._receive.close()
        self._pullers.cancel()
        await self._pullers_done.wait()
        self._to_nack.extend(self._held)
        self._held.clear()
        await self._flush_acks()
        assert self._tasks is not None
        self._tasks.cancel_scope.cancel()

    def stop(self) -> None:
        """Pull no more; batches already pulled are still handed out."""
        self._stopping = True

    def abort(self) -> None:
        """Pull no more and hand out nothing more; what is held gets nacked at close."""
        self._stopping = True
        self._aborted = True
        if self._receive_scope is not None:
            self._receive_scope.cancel()

    async def next_batch(self) -> Batch | None:
        """The next pulled batch, or None once the stream has stopped and is empty."""
        if self._aborted:
            return None
        with anyio.CancelScope() as scope:
            self._receive_scope = scope
            try:
                return await self._receive.receive()
            except anyio.EndOfStream:
                return None
            finally:
                self._receive_scope = None
        return None

    def ack(self, ack_ids: list[str]) -> None:
        """Handled: acked soon, in a batch with others."""
        self._release(ack_ids, self._to_ack)

    def nack(self, ack_ids: list[str]) -> None:
        """Not handled: redelivered at once (ack deadline set to 0)."""
        self._release(ack_ids, self._to_nack)

    def _release(self, ack_ids: list[str], into: list[str]) -> None:
        held = self._held
        for ack_id in ack_ids:
            if held.pop(ack_id, None) is not None:
                into.append(ack_id)
        self._acker_wakeup.set()

    async def _ensure_subscription(self) -> None:
        sub = self.subscriber
        if self.options.topic is None:
            info = await sub.get()
            if info is None:
                raise NotFound(f"{sub.name}: subscription not found", status=404)
        else:
            try:
                info, created = await sub.ensure(self.options.topic, self.options.ack_deadline)
            except PgbError as exc:
                raise add_context(exc, f"cannot use or create {sub.name}") from None
            if created and self._on_created is not None:
                self._on_created(f"created subscription {sub.name} on {info.topic}")
        self._deadline = max(10, info.ack_deadline_seconds)

    async def _run_pullers(self) -> None:
        self._last_message_at = time.monotonic()  # quiet time counts from the first pull
        try:
            with self._pullers:
                async with self._send, anyio.create_task_group() as pullers:
                    for _ in range(self.options.concurrency):
                        pullers.start_soon(self._puller, self._send.clone())
        finally:
            self._pullers_done.set()

    async def _puller(self, send: MemoryObjectSendStream[Batch]) -> None:
        async with send:
            while not self._stopping:
                started = time.monotonic()
                batch = await self.subscriber.pull(self.options.pull_size)
                if batch:
                    self._hold(batch)
                    await send.send(batch)
                elif self._drained_by(started):
                    self._drained = True
                    self.stop()
                elif not (self.options.until_empty and self._quiet_pulls == 1):
                    # (after a first quiet pull, the confirming one goes out at once)
                    await anyio.sleep(_EMPTY_BACKOFF[min(self._empty_streak, 4)])

    def _hold(self, batch: Batch) -> None:
        expires = time.monotonic() + self._deadline
        for received in batch:
            self._held[received.ack_id] = expires
        self.counts.pulled += len(batch)
        self._last_message_at = time.monotonic()
        self._empty_streak = self._quiet_pulls = 0

    def _drained_by(self, started: float) -> bool:
        """An empty reply to a pull *started* ``empty_wait`` after the last message counts
        as quiet (a slow reply does not stretch the quiet time); two in a row: drained."""
        self._empty_streak += 1
        if started - self._last_message_at >= self.options.empty_wait:
            self._quiet_pulls += 1
        return self.options.until_empty and self._quiet_pulls >= 2

    async def _acker(self) -> None:
        while True:
            await self._acker_wakeup.wait()
            self._acker_wakeup = anyio.Event()
            await self._flush_acks()

    async def _flush_acks(self) -> None:
        async with self._ack_lock:  # at close, wait for the acker's request in flight
            await self._flush_acks_unlocked()

    async def _flush_acks_unlocked(self) -> None:
        while self._to_ack or self._to_nack:
            acks, self._to_ack = self._to_ack, []
            nacks, self._to_nack = self._to_nack, []
            try:
                if acks:
                    await self.subscriber.acknowledge(acks)
                    self.counts.acked += len(acks)
                if nacks:
                    await self.subscriber.modify_ack_deadline(nacks, 0)
                    self.counts.nacked += len(nacks)
            except PgbError as exc:
                context = "could not acknowledge (those alerts will come again)"
                raise add_context(exc, context) from None

    async def _leaser(self) -> None:
        """Extend the deadline of anything held past half its deadline."""
        period = max(1.0, self._deadline / 4)
        while True:
            await anyio.sleep(period)
            now = time.monotonic()
            due = [a for a, expires in self._held.items() if expires - now < self._deadline / 2]
            if due:
                extension = min(600, max(self._deadline, 60))
                await self.subscriber.modify_ack_deadline(due, extension)
                for ack_id in due:
                    if ack_id in self._held:
                        self._held[ack_id] = now + extension
