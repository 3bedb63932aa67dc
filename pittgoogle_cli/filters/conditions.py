"""The closures a compiled ``--where`` is made of (see ``filters.where`` for the grammar
and the rules): each reads an alert dict and answers True, False or UNKNOWN (None), in
SQL's three-valued logic, and none raises on any alert."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Truth = bool | None  # None: UNKNOWN
Condition = Callable[[dict[str, Any]], Truth]
Getter = Callable[[dict[str, Any]], Any]
Op = Callable[[Any, Any], bool]
Kind = frozenset[type]  # the types a value of one kind may have: number, string or bool

NUMBER, STRING, BOOL = frozenset({int, float}), frozenset({str}), frozenset({bool})
KINDS: dict[type, Kind] = {int: NUMBER, float: NUMBER, str: STRING, bool: BOOL}


def getter(path: Sequence[str]) -> Getter:
    if len(path) == 1:
        key = path[0]
        return lambda record: record.get(key)
    keys = tuple(path)

    def get(record: Any) -> Any:
        for key in keys:
            if not isinstance(record, dict):
                return None
            record = record.get(key)
        return record

    return get


def kind_of(value: object) -> Kind | None:
    """Which kind of value this is, or None if it cannot be compared (null, NaN, inf...)."""
    if type(value) is float and not math.isfinite(value):
        return None
    return KINDS.get(type(value))


def is_null(value: object) -> bool:
    return value is None or (type(value) is float and not math.isfinite(value))


def compare_literal(get: Getter, op: Op, literal: Any) -> Condition:
    accepted = KINDS[type(literal)]
    isfinite = math.isfinite

    def compare(record: dict[str, Any]) -> Truth:
        value = get(record)
        kind = type(value)
        if kind not in accepted or (kind is float and not isfinite(value)):
            return None
        return op(value, literal)

    return compare


def compare_fields(get: Getter, op: Op, other: Getter) -> Condition:
    def compare(record: dict[str, Any]) -> Truth:
        a, b = get(record), other(record)
        kind = kind_of(a)
        return None if kind is None or kind is not kind_of(b) else op(a, b)

    return compare


def member_of(get: Getter, kind: Kind, values: frozenset[Any], negate: bool) -> Condition:
    def member(record: dict[str, Any]) -> Truth:
        value = get(record)
        if kind_of(value) is not kind:
            return None
        return (value in values) is not negate

    return member


def kleene(parts: tuple[Condition, ...], decisive: bool) -> Condition:
    """``and`` (decisive False) or ``or`` (decisive True) in three-valued logic."""

    def combined(record: dict[str, Any]) -> Truth:
        unknown = False
        for part in parts:
            truth = part(record)
            if truth is decisive:
                return decisive
            unknown = unknown or truth is None
        return None if unknown else not decisive

    return combined


def negated(part: Condition) -> Condition:
    def negation(record: dict[str, Any]) -> Truth:
        truth = part(record)
        return None if truth is None else not truth

    return negation
