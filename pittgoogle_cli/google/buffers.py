"""Reply buffers kept for the next reply: a pull reply is ~10 MB, and a fresh buffer of
that size is a fresh mapping whose every page the kernel faults in, zeroed, as the body
is written into it (2,300 faults a reply, a third of a pull's). Only the pull path keeps
them (``Subscriber.pull``), and an empty reply (an idle stream) lets them go."""

from __future__ import annotations

_LEAST = 1 << 20  # bytes: smaller bodies live on the heap, reused by malloc already


class BodyBuffers:
    """At most ``keep`` buffers of at least 1 MiB, handed out one reader at a time."""

    def __init__(self, keep: int = 2) -> None:
        self._keep = keep
        self._free: list[bytearray] = []

    def take(self, size: int = 0) -> bytearray:
        """A kept buffer (its old bytes are overwritten as the body comes, and it grows if
        the body is longer), or a new one of ``size`` bytes."""
        return self._free.pop() if self._free else bytearray(size)

    def give(self, buffer: bytearray) -> None:
        """``buffer`` is no longer read: keep it for a later reply if it is large."""
        if len(buffer) >= _LEAST and len(self._free) < self._keep:
            self._free.append(buffer)

    def clear(self) -> None:
        self._free.clear()
