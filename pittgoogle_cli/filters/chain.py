"""The chain a pull or a decode runs each alert through: built-in cuts first (cheap, and
they drop most alerts), then the user's filters in the order given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pittgoogle_cli.filters.base import Filter


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
