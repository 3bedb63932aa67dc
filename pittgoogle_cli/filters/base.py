"""The filter contract: a filter takes the alert as a dict and returns it (changed if it
likes) or None to drop it; ``async def`` filters are awaited."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pittgoogle_cli._exceptions import FilterFailed
from pittgoogle_cli.packets.models import Alert

Filter = Callable[[dict[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]


async def apply_filters(alert: Alert, filters: Sequence[Filter]) -> Alert | None:
    """The alert the chain keeps (its record replaced if a filter changed it), or None."""
    record: dict[str, Any] | None = alert.record
    for keep in filters:
        try:
            result = keep(record)  # type: ignore[arg-type]
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            raise FilterFailed(f"filter {_name(keep)} raised {exc!r}") from exc
        if result is None:
            return None
        record = result
    if record is alert.record or record is None:
        return alert
    return dataclasses.replace(alert, record=record)


def _name(obj: object) -> str:
    return getattr(obj, "__qualname__", None) or repr(obj)
