"""The filter contract, and the chain a pull or a decode runs each alert through.

A filter takes the alert as a dict and returns it (changed if it likes) or None to drop
it; ``async def`` filters are awaited. Built-in cuts run first (cheap, and they drop most
alerts), then the user's filters in the order given.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from pittgoogle_cli._exceptions import FilterFailed
from pittgoogle_cli.packets.models import Alert

Filter = Callable[[dict[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]


def build_filters(
    *,
    filters: Sequence[Filter | str] = (),
    where: str | None = None,
    classtar_threshold: float | None = None,
    classtar: Literal["gt", "lt"] = "gt",
) -> list[Filter]:
    """The chain: the classtar cut, ``where``, then each filter (a spec string is loaded
    here: code is imported only when named). Problems are ``ConfigError`` (exit 2)."""
    chosen: list[Filter] = []
    if classtar_threshold is not None:
        from pittgoogle_cli.filters.classtar import classtar_filter

        chosen.append(classtar_filter(classtar_threshold, classtar))
    if where is not None:
        from pittgoogle_cli.filters.where import where_filter

        chosen.append(where_filter(where))
    for item in filters:
        if isinstance(item, str):
            from pittgoogle_cli.filters.specs import load_filter

            item = load_filter(item)
        chosen.append(item)
    return chosen


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
