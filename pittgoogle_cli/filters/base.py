"""The filter contract: a filter takes the alert as a dict and returns it (changed if it
likes) or None to drop it; ``async def`` filters are awaited."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pittgoogle_cli._exceptions import FilterBroken, FilterFailed
from pittgoogle_cli.packets.models import Alert

Filter = Callable[[dict[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]


# A filter that raises on each of its first this many alerts, never returning, is broken.
BROKEN_AFTER = 10


class FilterHealth:
    """Tells a broken filter (it raised on each of the first ``BROKEN_AFTER`` alerts it
    was given) from one that fails now and then (each failure is one dead letter)."""

    def __init__(self, broken_after: int = BROKEN_AFTER) -> None:
        self._broken_after = broken_after
        self._working: set[int] = set()  # ids of filters that returned at least once
        self._failed: dict[int, int] = {}
        self.failures = 0

    def returned(self, keep: Filter) -> None:
        self._working.add(id(keep))

    def raised(self, keep: Filter, error: Exception) -> FilterFailed:
        self.failures += 1
        if id(keep) in self._working:
            return FilterFailed(f"filter {_name(keep)} raised {error!r}")
        failed = self._failed[id(keep)] = self._failed.get(id(keep), 0) + 1
        if failed >= self._broken_after:
            raise FilterBroken(
                f"filter {_name(keep)} raised on each of the first {failed} alerts it was "
                f"given ({error!r}): stopped; the alerts not set aside go back to the "
                "subscription"
            ) from error
        return FilterFailed(f"filter {_name(keep)} raised {error!r}")


async def apply_filters(
    alert: Alert, filters: Sequence[Filter], health: FilterHealth | None = None
) -> Alert | None:
    """The alert the chain keeps (its record replaced if a filter changed it), or None.
    With ``health``, a filter that proves broken raises ``FilterBroken``."""
    record: dict[str, Any] | None = alert.record
    for keep in filters:
        try:
            result = keep(record)  # type: ignore[arg-type]
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            if health is None:
                raise FilterFailed(f"filter {_name(keep)} raised {exc!r}") from exc
            raise health.raised(keep, exc) from exc
        if health is not None:
            health.returned(keep)
        if result is None:
            return None
        record = result
    if record is alert.record or record is None:
        return alert
    return dataclasses.replace(alert, record=record)


def _name(obj: object) -> str:
    """``module:function``, as ``--filter`` names it."""
    qualname = getattr(obj, "__qualname__", None)
    if qualname is None:
        return repr(obj)
    module = getattr(obj, "__module__", None)
    return f"{module}:{qualname}" if module else qualname
