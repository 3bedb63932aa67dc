"""Values made once per key and kept, bounded: parsed schemas, readers, row converters.

A stream may send any number of distinct schemas; these caches keep memory flat by
forgetting the least recently used value past ``size``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from pittgoogle_cli.packets.models import SchemaInfo

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _remember(values: OrderedDict[K, V], key: K, value: V, size: int) -> None:
    values[key] = value
    if len(values) > size:
        values.popitem(last=False)


class BoundedCache(Generic[K, V]):
    """``cache(key)`` is ``make(key)``, made once while ``key`` stays among the ``size``
    most recently used."""

    def __init__(self, make: Callable[[K], V], size: int = 64) -> None:
        self._make = make
        self._size = size
        self._values: OrderedDict[K, V] = OrderedDict()

    def __call__(self, key: K) -> V:
        try:
            value = self._values[key]
        except KeyError:
            value = self._make(key)
            _remember(self._values, key, value, self._size)
        else:
            self._values.move_to_end(key)
        return value

    def __len__(self) -> int:
        return len(self._values)


class PerSchema(Generic[V]):
    """``cache(info)`` is ``make(info)`` once per distinct ``SchemaInfo`` object, by
    identity: two schemas with one name and version may still differ (ZTF's embedded
    ones do), and every alert of a schema shares its ``SchemaInfo``, so identity is both
    exact and cheap."""

    def __init__(self, make: Callable[[SchemaInfo], V], size: int = 64) -> None:
        self._make = make
        self._size = size
        # The SchemaInfo is kept beside its value, so that its id cannot be reused meanwhile.
        self._values: OrderedDict[int, tuple[SchemaInfo, V]] = OrderedDict()

    def __call__(self, info: SchemaInfo) -> V:
        entry = self._values.get(id(info))
        if entry is None or entry[0] is not info:
            entry = (info, self._make(info))
            _remember(self._values, id(info), entry, self._size)
        else:
            self._values.move_to_end(id(info))
        return entry[1]
