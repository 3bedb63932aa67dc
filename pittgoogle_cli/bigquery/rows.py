"""BigQuery REST rows to Python values, pure.

The REST API sends every value as a string inside ``{"f": [{"v": ...}]}``. A converter is
built once per result schema (a tuple of per-column functions, nested for RECORDs), so a
row costs one dict comprehension and no type lookups.

    INT64      int (within 64 bits); with ``int64_as_string``, one above 2**53 in magnitude
               (ZTF's candid) is its exact decimal string instead, as in ``pgb pull``
    FLOAT64    float; NaN and infinities become None (JSON has neither)
    BOOL       bool
    TIMESTAMP  ISO 8601 in UTC, ``2024-01-02T03:04:05.123456Z``
    JSON       the parsed value
    RECORD     dict; REPEATED: list
    others     BigQuery's own string (BYTES stay base64; NUMERIC keeps its digits)

A row or a schema that does not have the shape or the values its schema says (a cell that
is not a number, a RECORD that is a string) is a ``MalformedReply``, like any other 2xx
reply pgb cannot read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson

from pittgoogle_cli._exceptions import MalformedReply
from pittgoogle_cli.shapes.render import exact_int

Converter = Callable[[Any], Any]
RowConverter = Callable[[dict[str, Any]], dict[str, Any]]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_INT64 = range(-(2**63), 2**63)
# What the converters raise on a cell that is not what its schema says (int("x"),
# value["f"] of a string, a timestamp past year 9999, a schema or row nested too deep).
_UNREADABLE = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    OverflowError,
    AttributeError,
    RecursionError,
)


class Field(msgspec.Struct, frozen=True):
    """One column of a result schema (``TableFieldSchema``)."""

    name: str
    type: str = "STRING"
    mode: str = "NULLABLE"
    fields: tuple[Field, ...] = ()


def _float(value: str) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _bool(value: str) -> bool:
    return value == "true" or value == "True"


def _timestamp(value: str) -> str:
    """Microseconds since the epoch (``useInt64Timestamp``), or float seconds (the default)."""
    if value.isdigit() or (value[:1] == "-" and value[1:].isdigit()):
        micros = int(value)
    else:
        micros = round(float(value) * 1_000_000)
    stamp = _EPOCH + timedelta(microseconds=micros)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    if stamp.microsecond:
        text += f".{stamp.microsecond:06d}"
    return text + "Z"


def _text(value: Any) -> str | None:
    """BigQuery's own string, as it sent it (STRING, BYTES, NUMERIC, DATE...)."""
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"a string was expected, not {type(value).__name__}")


def _int64(value: str) -> int:
    number = int(value)
    if number not in _INT64:  # JSON lines (orjson) hold 64-bit integers, and so does BigQuery
        raise ValueError(f"an integer past 64 bits ({len(str(number))} digits)")
    return number


def _exact_int(value: str) -> int | str:
    return exact_int(_int64(value))


def _scalar(type_: str, int64_as_string: bool) -> Converter:
    if type_ in ("INTEGER", "INT64"):
        return _exact_int if int64_as_string else _int64
    if type_ in ("FLOAT", "FLOAT64"):
        return _float
    if type_ in ("BOOLEAN", "BOOL"):
        return _bool
    if type_ == "TIMESTAMP":
        return _timestamp
    if type_ == "JSON":
        return orjson.loads
    return _text


def _record(fields: Sequence[Field], int64_as_string: bool) -> Converter:
    pairs = tuple((f.name, field_converter(f, int64_as_string)) for f in fields)

    def convert(value: dict[str, Any]) -> dict[str, Any]:
        cells = value["f"]
        return {name: conv(cell["v"]) for (name, conv), cell in zip(pairs, cells, strict=False)}

    return convert


def field_converter(field: Field, int64_as_string: bool = False) -> Converter:
    """The function from one REST cell value (``cell["v"]``) of ``field`` to Python."""
    if field.type in ("RECORD", "STRUCT"):
        inner = _record(field.fields, int64_as_string)
    else:
        inner = _scalar(field.type, int64_as_string)
    if field.mode == "REPEATED":
        return lambda value: [] if value is None else [inner(cell["v"]) for cell in value]
    if inner is _text:
        return inner
    return lambda value: None if value is None else inner(value)


def row_converter(fields: Sequence[Field], int64_as_string: bool = False) -> RowConverter:
    """The function from one REST row (``{"f": [...]}``) to a dict keyed by column name;
    ``MalformedReply`` for a row (or a schema) that is not what BigQuery sends."""
    try:
        convert: RowConverter = _record(fields, int64_as_string)  # a row is a RECORD value
    except RecursionError:
        raise MalformedReply("BigQuery sent a result schema nested too deep") from None

    def checked(row: dict[str, Any]) -> dict[str, Any]:
        try:
            return convert(row)
        except _UNREADABLE as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise MalformedReply(f"BigQuery sent a row pgb cannot read ({what})") from None

    return checked
