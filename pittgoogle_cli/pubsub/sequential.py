"""Pulling one request at a time, with no background task: every call does its own I/O.

The stream under ``pgb.alerts()``, which is an async generator: a task group cannot live
across its ``yield`` (the caller may leave the loop, or close the generator from another
task), so this stream keeps the same promises as ``AlertStream`` (held until acked or
nacked, nacked at close, deadlines extended) by doing that work whenever it is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.pubsub.holding import (
    Batch,
    HeldStream,
    StreamOptions,
    open_subscription,
)
from pittgoogle_cli.pubsub.subscriber import Subscriber

_ACK_EVERY = 0.5  # seconds: acks of alerts the caller moved past wait at most this long


class SequentialStream(HeldStream):
    """``await stream.open()``, then ``next_batch()``, ``ack()``, ``tend()`` between
    alerts, and ``aclose()`` at the end (it nacks what is still held)."""

    def __init__(
        self,
        subscriber: Subscriber,
        options: StreamOptions | None = None,
        *,
        counts: Counts | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(subscriber, options, counts=counts, on_notice=on_notice)
        self._stop_at: float | None = None  # time.monotonic() after which nothing is pulled
        self._stopping = False
        self._last_flush = time.monotonic()

    @property
    def expired(self) -> bool:
        """Past ``stop_at``: the caller's time is up."""
        remaining = self._remaining()
        return remaining is not None and remaining <= 0

    async def open(self, timeout: float | None = None) -> None:
        """Check (or create) the subscription; pull nothing more ``timeout`` s after."""
        options, on_notice = self.options, self._on_notice
        self._holding.deadline = await open_subscription(self.subscriber, options, on_notice)
        self._quiet.restart()
        if timeout is not None:
            self._stop_at = time.monotonic() + timeout

    def ack(self, ack_ids: list[str]) -> None:
        self._holding.ack(ack_ids)

    def forget(self, ack_ids: list[str]) -> None:
        """Leave these to come again after their ack deadline (see ``Holding.forget``)."""
        self._holding.forget(ack_ids)

    async def tend(self) -> None:
        """Between alerts: send the acks owed now and then, extend deadlines when due."""
        if self._holding.owed and time.monotonic() - self._last_flush >= _ACK_EVERY:
            await self._flush()
        await self._holding.extend_due()

    async def next_batch(self, size: int | None = None) -> Batch | None:
        """The next pulled batch, or None once stopped, drained or past ``stop_at``."""
        await self._flush()
        while not self._stopping:
            remaining = self._remaining()
            if remaining is not None and remaining <= 0:
                break
            started = time.monotonic()
            wanted = self.options.pull_size if size is None else min(size, self.options.pull_size)
            batch = await self.subscriber.pull(max(1, wanted))
            if batch:
                self._holding.hold(batch)
                self._quiet.arrived()
                return batch
            if self._quiet.empty(started):
                break
            pause = self._quiet.backoff()
            await anyio.sleep(pause if remaining is None else min(pause, remaining))
        return None

    async def aclose(self) -> None:
        self._stopping = True
        self._holding.nack_all()
        await self._flush()

    async def flush(self) -> None:
        """Send the acks owed now."""
        await self._flush()

    async def _flush(self) -> None:
        self._last_flush = time.monotonic()
        await self._holding.flush()

    def _remaining(self) -> float | None:
        return None if self._stop_at is None else self._stop_at - time.monotonic()
