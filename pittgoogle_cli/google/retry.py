"""The one retry loop: exponential backoff with full jitter, for what says it is retriable."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from pittgoogle_cli._exceptions import PgbError, TransportError, Unreachable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: sleep U(0, min(cap, base * 2**attempt))."""

    attempts: int = 6
    base: float = 0.25
    cap: float = 10.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311


async def retrying(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    instead: Callable[[PgbError], T | None] | None = None,
) -> T:
    """``await call()``, again after a retriable ``PgbError``, at most ``policy.attempts``
    times in all. ``instead(error)``, when given, may return a result to use rather than
    retrying (a token source keeps its current token while Google is briefly down).

    After the last attempt a ``TransportError`` becomes ``Unreachable``, which the CLI
    reports with its own exit code; other errors are raised as they are.
    """
    attempt = 0
    while True:
        try:
            return await call()
        except PgbError as exc:
            if not exc.retriable:
                raise
            fallback = instead(exc) if instead is not None else None
            if fallback is not None:
                return fallback
            attempt += 1
            if attempt >= policy.attempts:
                if isinstance(exc, TransportError):
                    raise Unreachable(str(exc)) from None
                raise
            await anyio.sleep(policy.delay(attempt))
