"""The one retry loop: exponential backoff with full jitter, for what says it is retriable."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from pittgoogle_cli._exceptions import (
    PgbError,
    ServerError,
    TooManyRequests,
    TransportError,
    Unreachable,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: sleep U(0, min(cap, base * 2**attempt)), or
    longer when the server says so (``Retry-After``).

    It gives up after ``attempts`` tries, or, with ``give_up_after``, once that many
    seconds have passed since the first failure (a stream rides out an outage that way).
    ``notice`` hears, once, that an outage began, and when it ended.
    """

    attempts: int = 6
    base: float = 0.25
    cap: float = 10.0
    give_up_after: float | None = None
    notice: OutageNotices | None = field(default=None, compare=False)

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311

    def exhausted(self, attempt: int, failing_for: float) -> bool:
        if self.give_up_after is not None:
            return failing_for >= self.give_up_after
        return attempt >= self.attempts


# An outage is announced once it has lasted this long (a blip is not worth a line).
_ANNOUNCE_AFTER = 2.0


class OutageNotices:
    """Several calls in flight share one outage: say once that it began and once that
    it ended, however many of them wait."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._waiting = 0

    def began(self, text: str) -> None:
        if self._waiting == 0:
            self._say(text)
        self._waiting += 1

    def ended(self, text: str | None) -> None:
        """``text`` None: that call gave up or was cancelled; nothing is said for it."""
        self._waiting = max(0, self._waiting - 1)
        if self._waiting == 0 and text is not None:
            self._say(text)


async def retrying(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    instead: Callable[[PgbError], T | None] | None = None,
) -> T:
    """``await call()``, again after a retriable ``PgbError``, until ``policy`` gives up.
    ``instead(error)``, when given, may return a result to use rather than retrying (a
    token source keeps its current token while Google is briefly down).

    On giving up, a transport error, a 429 or a 5xx becomes ``Unreachable`` (exit 7).
    """
    outage = _Outage(policy)
    try:
        while True:
            try:
                result = await call()
            except PgbError as exc:
                if not exc.retriable:
                    raise
                fallback = instead(exc) if instead is not None else None
                if fallback is not None:
                    return fallback
                await anyio.sleep(outage.next_wait(exc))
            else:
                outage.ended()
                return result
    finally:
        outage.abandoned()


class _Outage:
    """The failures of one call so far: when to try again, and when to give up."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempt = 0
        self.started: float | None = None
        self.announced = False

    def next_wait(self, exc: PgbError) -> float:
        now = time.monotonic()
        self.started = self.started if self.started is not None else now
        self.attempt += 1
        failing_for = now - self.started
        if self.policy.exhausted(self.attempt, failing_for):
            if isinstance(exc, (TransportError, TooManyRequests, ServerError)):
                raise Unreachable(f"{exc} (still failing after {failing_for:.0f} s)") from None
            raise exc
        wait = max(self.policy.delay(self.attempt), getattr(exc, "retry_after", None) or 0.0)
        if self.policy.give_up_after is not None:
            wait = min(wait, max(0.0, self.policy.give_up_after - failing_for))
        self._announce(exc, failing_for + wait)
        return wait

    def _announce(self, exc: PgbError, failing_for: float) -> None:
        notice = self.policy.notice
        if notice is None or self.announced or failing_for < _ANNOUNCE_AFTER:
            return
        self.announced = True
        limit = self.policy.give_up_after
        until = f" for up to {limit:.0f} s" if limit is not None else ""
        notice.began(f"{exc}: waiting and retrying{until}")

    def ended(self) -> None:
        if self.announced and self.policy.notice is not None and self.started is not None:
            self.announced = False
            took = time.monotonic() - self.started
            self.policy.notice.ended(f"reachable again after {took:.0f} s")

    def abandoned(self) -> None:
        if self.announced and self.policy.notice is not None:
            self.announced = False
            self.policy.notice.ended(None)
