"""Pulling a subscription with several requests in flight, holding what was pulled until
the caller acks or nacks it (see ``holding``), and extending deadlines of what is held
too long: the stream under ``pgb pull``."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pittgoogle_cli.google.gate import ReadGate
from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.pubsub.holding import (
    Batch,
    HeldStream,
    StreamOptions,
    open_subscription,
)
from pittgoogle_cli.pubsub.subscriber import Subscriber

_CLOSE_GRACE = 10.0  # seconds to let in-flight pulls finish at close before cancelling them
# After a signal (see ``hurry``): seconds for pulls in flight, and for the acks owed.
_HURRIED_GRACE = 2.0
_HURRIED_ACKS = 5.0
_SLOW_ACKS = 1.0  # seconds of the hurried acks after which the user hears why pgb waits
# Pull replies read but not yet taken by the writer: each is ~8 MB of ZTF alerts (and ~10
# while read), and four pulls in flight that all arrive at once made peaks of RSS 30 MB
# above the usual. The other pulls in flight wait with their replies unread in the socket.
_READ_AHEAD = 1
# The first pull asks for this many, alone: a reply of 100 ZTF alerts takes the emulator
# ~0.7 s to make while three more are being made, and the user waits for the first line.
# The other pulls go out once it is back.
_FIRST_PULL = 10


class AlertStream(HeldStream):
    """``async with AlertStream(subscriber, options) as stream:`` then ``next_batch()``
    and ``ack()``; what is not acked is returned at close. The engine's loop runs on top."""

    def __init__(
        self,
        subscriber: Subscriber,
        options: StreamOptions | None = None,
        *,
        counts: Counts | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(subscriber, options, counts=counts, on_notice=on_notice)
        self._hurried = False
        self._acker_wakeup = anyio.Event()
        self._stopping = False
        self._stop_asked = anyio.Event()  # wakes pullers waiting out a backoff
        self._arrived = anyio.Event()  # wakes the pullers parked while the stream is idle
        self._aborted = False
        self._drained = False
        # No buffer: a puller holds its batch until the writer takes it, so at most
        # `concurrency` pulled batches wait (each ~8 MB of ZTF alerts): memory stays flat.
        send, receive = anyio.create_memory_object_stream[Batch](0)
        self._send: MemoryObjectSendStream[Batch] = send
        self._receive: MemoryObjectReceiveStream[Batch] = receive
        self._receive_scope: anyio.CancelScope | None = None
        self._tasks: TaskGroup | None = None
        self._pullers = anyio.CancelScope()
        self._pullers_done = anyio.Event()
        self._read_ahead = ReadGate(_READ_AHEAD)

    @property
    def drained(self) -> bool:
        """True when ``until_empty`` saw the backlog empty."""
        return self._drained

    @property
    def aborted(self) -> bool:
        return self._aborted

    async def __aenter__(self) -> AlertStream:
        try:
            deadline = await open_subscription(self.subscriber, self.options, self._on_notice)
        except BaseException:
            self._send.close()
            self._receive.close()
            raise
        self._holding.deadline = deadline
        # A reply unread for a third of the deadline is read anyway, so that the leaser
        # sees its messages in time (see ReadGate).
        self._read_ahead.patience = deadline / 3
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
        with anyio.move_on_after(_HURRIED_GRACE if self._hurried else _CLOSE_GRACE):
            async for _ in self._receive:  # unblock pullers waiting to hand over a batch
                pass
        self._receive.close()
        self._pullers.cancel()
        await self._pullers_done.wait()
        self._holding.nack_all()
        if self._hurried:
            await self._hurried_flush()
        else:
            await self._holding.flush()
        assert self._tasks is not None
        self._tasks.cancel_scope.cancel()

    async def _hurried_flush(self) -> None:
        """The acks owed, given a few seconds: during an outage their retries could last
        the whole give-up-after, and a user who pressed Ctrl-C wants pgb to stop."""
        assert self._tasks is not None
        telling = anyio.CancelScope()
        self._tasks.start_soon(self._say_slow, telling)
        try:
            with anyio.move_on_after(_HURRIED_ACKS) as scope:
                await self._holding.flush()
        finally:
            telling.cancel()
        unconfirmed = self._holding.unconfirmed
        if scope.cancelled_caught and unconfirmed:
            self._say(
                f"stopped before Pub/Sub confirmed the acks of {unconfirmed:,} alert(s) "
                "written: they will be delivered again"
            )

    async def _say_slow(self, scope: anyio.CancelScope) -> None:
        with scope:
            await anyio.sleep(_SLOW_ACKS)
            self._say(
                f"stopping: acking {self._holding.unconfirmed:,} alert(s) written, for up "
                f"to {_HURRIED_ACKS - _SLOW_ACKS:.0f} s more (press Ctrl-C again to quit now)"
            )

    def _say(self, text: str) -> None:
        if self._on_notice is not None:
            self._on_notice(text)

    def stop(self) -> None:
        """Pull no more; batches already pulled are still handed out."""
        self._stopping = True
        self._stop_asked.set()
        self._arrived.set()

    def hurry(self) -> None:
        """Abort, and close in seconds (a signal: the user wants pgb to stop). Acks that
        Pub/Sub does not confirm by then are dropped: those alerts come again."""
        self._hurried = True
        self.abort()

    def abort(self) -> None:
        """Pull no more and hand out nothing more; what is held gets nacked at close."""
        self.stop()
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
        self._holding.ack(ack_ids)
        self._acker_wakeup.set()

    async def _run_pullers(self) -> None:
        self._quiet.restart()  # quiet time counts from the first pull
        try:
            with self._pullers:
                async with self._send, anyio.create_task_group() as pullers:
                    first = anyio.Event()
                    pullers.start_soon(self._puller, self._send.clone(), first)
                    await first.wait()
                    for _ in range(self.options.concurrency - 1):
                        pullers.start_soon(self._puller, self._send.clone(), None)
        finally:
            self._pullers_done.set()

    async def _puller(self, send: MemoryObjectSendStream[Batch], first: anyio.Event | None) -> None:
        """Pull and hand over until stopped. The puller given ``first`` makes the first
        pull, a small one, and sets ``first`` once it is back (or failed, or never went
        out); it is also the one that goes on polling alone while the stream is idle."""
        try:
            async with send:
                await self._pull_loop(send, first)
        finally:
            if first is not None:
                first.set()

    async def _pull_loop(
        self, send: MemoryObjectSendStream[Batch], first: anyio.Event | None
    ) -> None:
        polls_alone = first is not None
        size = self.options.pull_size if first is None else min(_FIRST_PULL, self.options.pull_size)
        while not self._stopping:
            started = time.monotonic()
            batch = await self.subscriber.pull(size, gate=self._read_ahead)
            if first is not None:
                first.set()
                first, size = None, self.options.pull_size
            try:
                if batch:
                    self._holding.hold(batch, leased_at=started)
                    self._quiet.arrived()
                    self._wake_parked()
                    await send.send(batch)
            finally:
                self._read_ahead.release()
            if batch:
                # Not kept while the next pull waits for its turn to read: four pullers
                # each keeping the batch they handed over were 30 MB.
                del batch
                continue
            if self._quiet.empty(started):
                self._drained = True
                self.stop()
            elif self._quiet.idle and not polls_alone:
                await self._arrived.wait()  # the puller polling alone got something
            else:  # a stop (--max reached) need not wait out the backoff: 0.4 s at exit
                with anyio.move_on_after(self._quiet.backoff()):
                    await self._stop_asked.wait()

    def _wake_parked(self) -> None:
        if not self._arrived.is_set():
            self._arrived.set()
            self._arrived = anyio.Event()

    async def _acker(self) -> None:
        while True:
            await self._acker_wakeup.wait()
            self._acker_wakeup = anyio.Event()
            await self._holding.flush()

    async def _leaser(self) -> None:
        period = max(1.0, self._holding.deadline / 4)
        while True:
            await anyio.sleep(period)
            await self._holding.extend_due()
