"""What both ways of pulling share: every pulled message is *held* from the moment its
pull reply arrives until the caller acks or nacks it; closing nacks (deadline 0) whatever
is still held, so a message is never left waiting for its deadline because pgb stopped,
and never acked unless the caller said so. That one rule is what makes at-least-once hold
through ``--max``, timeouts, signals and errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from pittgoogle_cli._exceptions import NotFound, PgbError, add_context
from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.pubsub.rest import ReceivedMessage, ResourceName
from pittgoogle_cli.pubsub.subscriber import Subscriber

Batch = list[ReceivedMessage]
EMPTY_BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.5)
# Idle (EMPTY_BACKOFF run out): one puller alone polls, every IDLE_POLL seconds (never more
# often than all of them did, each every EMPTY_BACKOFF[-1]), and every LONG_IDLE_POLL once
# nothing came for LONG_QUIET. Four pullers each at 0.5 s were 8 pulls a second whose next
# one was ~0.1 s away, as one puller's every 0.2 s is.
IDLE_POLL = 0.2
LONG_IDLE_POLL = 0.5
LONG_QUIET = 60.0


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How to pull. ``until_empty`` stops once two pulls in a row, each started at least
    ``empty_wait`` seconds after the last message arrived, came back empty. ``topic``: the
    one to create the subscription on when it is missing (None: never create)."""

    topic: ResourceName | None = None
    concurrency: int = 4
    pull_size: int = 100
    ack_deadline: int = 60
    until_empty: bool = False
    empty_wait: float = 1.0
    # Look without consuming: an ack keeps the message held (leased, so it does not come
    # again within the run); everything held goes back when the stream closes.
    no_ack: bool = False


async def open_subscription(
    sub: Subscriber, options: StreamOptions, on_created: Callable[[str], None] | None
) -> int:
    """Check (or create) the subscription; its ack deadline in seconds."""
    if options.topic is None:
        info = await sub.get()
        if info is None:
            raise NotFound(f"{sub.name}: subscription not found", status=404)
    else:
        try:
            info, created = await sub.ensure(options.topic, options.ack_deadline)
        except PgbError as exc:
            raise add_context(exc, f"cannot use or create {sub.name}") from None
        if created and on_created is not None:  # a new user's first pull comes back empty
            on_created(
                f"created subscription {sub.name} on {info.topic}: it gets what is published "
                "from now on; messages published before will never reach it"
            )
    return max(10, info.ack_deadline_seconds)


class QuietClock:
    """``until_empty``'s rule. An empty reply to a pull *started* ``empty_wait`` after the
    last message counts as quiet (a slow reply does not stretch the quiet time); two quiet
    pulls in a row: drained."""

    def __init__(self, options: StreamOptions) -> None:
        self._options = options
        self._last_message_at = time.monotonic()
        self._empty_streak = 0
        self._quiet_pulls = 0

    def restart(self) -> None:
        self._last_message_at = time.monotonic()

    def arrived(self) -> None:
        self._last_message_at = time.monotonic()
        self._empty_streak = self._quiet_pulls = 0

    def empty(self, started: float) -> bool:
        """A pull started at ``started`` came back empty: is the backlog drained?"""
        self._empty_streak += 1
        if started - self._last_message_at >= self._options.empty_wait:
            self._quiet_pulls += 1
        return self._options.until_empty and self._quiet_pulls >= 2

    @property
    def idle(self) -> bool:
        """So many empty replies in a row that one puller polling alone will do."""
        return self._empty_streak >= len(EMPTY_BACKOFF)

    def backoff(self) -> float:
        """Seconds to wait before the next pull; after a first quiet pull, the confirming
        one goes out at once."""
        if self._options.until_empty and self._quiet_pulls == 1:
            return 0.0
        if self.idle:
            quiet_for = time.monotonic() - self._last_message_at
            if quiet_for >= LONG_QUIET:
                return LONG_IDLE_POLL
            return max(IDLE_POLL, EMPTY_BACKOFF[-1] / max(1, self._options.concurrency))
        return EMPTY_BACKOFF[self._empty_streak]


class Holding:
    """The messages held for one subscription, and the acks and nacks owed for them."""

    def __init__(
        self, subscriber: Subscriber, counts: Counts, deadline: int = 60, *, no_ack: bool = False
    ) -> None:
        self.subscriber = subscriber
        self.counts = counts
        self.deadline = deadline
        self.no_ack = no_ack
        self._held: dict[str, float] = {}  # ack_id -> when its deadline runs out (monotonic)
        # Acked by the caller but not yet confirmed by Pub/Sub: leased still, so that a slow
        # or retried ack request does not let them run out and come again.
        self._acking: dict[str, float] = {}
        self._to_ack: list[str] = []
        self._to_nack: list[str] = []
        self._lock = anyio.Lock()

    def __len__(self) -> int:
        return len(self._held)

    @property
    def unconfirmed(self) -> int:
        """Acked by the caller, not (yet) confirmed by Pub/Sub."""
        return len(self._acking)

    @property
    def owed(self) -> bool:
        return bool(self._to_ack or self._to_nack)

    def hold(self, batch: Batch, *, leased_at: float | None = None) -> None:
        """Hold what a pull returned; ``leased_at`` (monotonic) is when the pull was sent,
        if its reply waited to be read: the lease may have run since then."""
        expires = (time.monotonic() if leased_at is None else leased_at) + self.deadline
        for received in batch:
            self._held[received.ack_id] = expires
        self.counts.pulled += len(batch)

    def ack(self, ack_ids: list[str]) -> None:
        if self.no_ack:
            return
        held = self._held
        for ack_id in ack_ids:
            expires = held.pop(ack_id, None)
            if expires is not None:
                self._acking[ack_id] = expires
                self._to_ack.append(ack_id)

    def forget(self, ack_ids: list[str]) -> None:
        """Neither ack nor nack these: no longer leased, they come again once their
        deadline runs out (a caller's retry later, without a hot loop)."""
        for ack_id in ack_ids:
            self._held.pop(ack_id, None)

    def nack_all(self) -> None:
        self._to_nack.extend(self._held)
        self._held.clear()

    async def flush(self) -> None:
        """Send the acks and nacks owed (one request in flight at a time)."""
        async with self._lock:
            while self._to_ack or self._to_nack:
                acks, self._to_ack = self._to_ack, []
                nacks, self._to_nack = self._to_nack, []
                try:
                    if acks:
                        await self.subscriber.acknowledge(acks)
                        self.counts.acked += len(acks)
                        for ack_id in acks:
                            self._acking.pop(ack_id, None)
                    if nacks:
                        await self.subscriber.modify_ack_deadline(nacks, 0)
                        self.counts.nacked += len(nacks)
                except PgbError as exc:
                    context = "could not acknowledge (those alerts will come again)"
                    raise add_context(exc, context) from None

    async def extend_due(self) -> None:
        """Extend the deadline of anything held, or acked but not yet confirmed, past half
        its deadline."""
        now = time.monotonic()
        leases = (self._held, self._acking)
        due = [a for lease in leases for a, ends in lease.items() if ends - now < self.deadline / 2]
        if due:
            extension = min(600, max(self.deadline, 60))
            await self.subscriber.modify_ack_deadline(due, extension)
            for lease in leases:
                for ack_id in due:
                    if ack_id in lease:
                        lease[ack_id] = now + extension


class HeldStream:
    """What both streams start from: the subscription, how to pull it, the counts, the
    messages held for it and the until-empty clock."""

    def __init__(
        self,
        subscriber: Subscriber,
        options: StreamOptions | None = None,
        *,
        counts: Counts | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.subscriber = subscriber
        self.options = options or StreamOptions()
        self.counts = counts or Counts()
        self._holding = Holding(
            subscriber, self.counts, self.options.ack_deadline, no_ack=self.options.no_ack
        )
        self._quiet = QuietClock(self.options)
        self._on_notice = on_notice  # hears what the user should know (a subscription created)

    @property
    def held(self) -> int:
        return len(self._holding)
