"""A limit on how many replies are read at once that a long wait overrides."""

from __future__ import annotations

import math

import anyio


class ReadGate:
    """At most ``tokens`` holders at once, except that a caller kept waiting ``patience``
    seconds takes its turn anyway (and gives it back with ``release`` like the others).

    ``pgb pull`` reads one pull reply at a time so that memory stays flat, and the other
    replies wait unread in their sockets. Pub/Sub leased their messages when it sent them,
    and pgb cannot extend a lease whose ack ids it has not read: a reply left waiting past
    its messages' ack deadline (a stalled writer) would see them delivered again. Reading
    it after ``patience`` costs one more reply in memory, and lets the leases be extended.
    """

    def __init__(self, tokens: int, patience: float = math.inf) -> None:
        self._tokens = tokens
        self._free = anyio.Semaphore(tokens)
        self.patience = patience
        self._overdrawn = 0

    async def acquire(self) -> None:
        with anyio.move_on_after(self.patience):
            await self._free.acquire()
            return
        self._overdrawn += 1

    def release(self) -> None:
        if self._overdrawn:
            self._overdrawn -= 1
        else:
            self._free.release()

    @property
    def holders(self) -> int:
        """How many hold a turn now (more than ``tokens`` after an overdraft)."""
        return self._tokens - self._free.value + self._overdrawn
