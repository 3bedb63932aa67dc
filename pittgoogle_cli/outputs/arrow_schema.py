"""Avro schemas as Arrow schemas, pure: how the Parquet output keeps the survey's types.

=================================  =====================================================
Avro                               Arrow
=================================  =====================================================
long / int                         int64 / int32 (64-bit ids such as candid stay exact)
float / double                     float32 / float64
boolean, string, bytes             bool, string, binary
fixed(n)                           binary(n)
enum                               string
union with null                    the other branch, nullable
record                             struct (fields nullable as in Avro, or all of them)
array / map                        list / map<string, ...>
timestamp-millis / -micros         timestamp[ms] / timestamp[us], UTC
date                               date32
other logical types                their underlying type
a named type's name                that type (full names, and names in the namespace)
=================================  =====================================================

Unions of two or more non-null types, and recursive records, have no Parquet form:
:class:`UnsupportedSchema` says which field (``field candidate: field x: union ...``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from pittgoogle_cli._exceptions import UnsupportedSchema, add_context

_PRIMITIVES: dict[str, Any] = {
    "null": pa.null(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bytes": pa.binary(),
    "string": pa.string(),
}
_LOGICAL: dict[tuple[str, str], Any] = {
    ("long", "timestamp-millis"): pa.timestamp("ms", tz="UTC"),
    ("long", "timestamp-micros"): pa.timestamp("us", tz="UTC"),
    ("int", "date"): pa.date32(),
}


class _Converter:
    def __init__(self, named: dict[str, Any], required: bool) -> None:
        self.named: dict[str, Any] = dict(named)  # full name -> Avro definition
        self.required = required
        self.done: dict[str, Any] = {}  # full name -> Arrow type
        self.active: set[str] = set()

    def type_of(self, avro: Any, namespace: str) -> Any:
        """The Arrow type of an Avro type (nullability is handled by ``field``)."""
        if isinstance(avro, list):
            branches = [b for b in avro if b != "null"]
            if len(branches) != 1:
                raise UnsupportedSchema(f"union {avro} has no Arrow type")
            return self.type_of(branches[0], namespace)
        if isinstance(avro, str):
            if avro in _PRIMITIVES:
                return _PRIMITIVES[avro]
            return self.reference(avro, namespace)
        kind = avro["type"]
        logical = _LOGICAL.get((kind, avro.get("logicalType", "")))
        if logical is not None:
            return logical
        if kind in ("record", "error", "enum", "fixed"):
            return self.named_type(avro, namespace)
        if kind == "array":
            return pa.list_(self.field("item", avro["items"], namespace))
        if kind == "map":
            return pa.map_(pa.string(), self.field("value", avro["values"], namespace))
        return self.type_of(kind, namespace)  # {"type": "long"} and the like

    def field(self, name: str, avro: Any, namespace: str) -> Any:
        nullable = (
            not self.required or avro == "null" or (isinstance(avro, list) and "null" in avro)
        )
        try:
            return pa.field(name, self.type_of(avro, namespace), nullable=nullable)
        except UnsupportedSchema as exc:
            raise add_context(exc, f"field {name}") from None

    def reference(self, name: str, namespace: str) -> Any:
        for full in (f"{namespace}.{name}", name) if namespace else (name,):
            if full in self.done:
                return self.done[full]
            if full in self.active:
                raise UnsupportedSchema(f"record {full} contains itself: no Arrow type")
            if full in self.named:
                return self.named_type(self.named[full], namespace)
        raise UnsupportedSchema(f"unknown Avro type {name!r}")

    def named_type(self, avro: dict[str, Any], namespace: str) -> Any:
        full, space = _full_name(avro, namespace)
        self.active.add(full)
        kind = avro["type"]
        if kind == "enum":
            arrow = pa.string()
        elif kind == "fixed":
            arrow = pa.binary(int(avro["size"]))
        else:
            arrow = pa.struct([self.field(f["name"], f["type"], space) for f in avro["fields"]])
        self.active.discard(full)
        self.done[full] = arrow
        return arrow


def _full_name(avro: dict[str, Any], namespace: str) -> tuple[str, str]:
    """A named type's full name and the namespace its own fields are read in."""
    name = str(avro["name"])
    if "." not in name:
        space = avro.get("namespace", namespace) or ""
        name = f"{space}.{name}" if space else name
    return name, name.rpartition(".")[0]


def arrow_schema(
    avro: Any, metadata: dict[str, str] | None = None, *, required: bool = True
) -> Any:
    """The ``pyarrow.Schema`` of a record schema (raw JSON or parsed by fastavro).

    ``required=False`` makes every field nullable, not only unions with null: tables of
    two schema versions (a field added in v4) can then be combined, the missing field
    null.
    """
    if not isinstance(avro, dict) or avro.get("type") not in ("record", "error"):
        raise UnsupportedSchema("only an Avro record schema becomes an Arrow schema")
    converter = _Converter(avro.get("__named_schemas", {}), required)
    struct = converter.named_type(avro, "")
    return pa.schema(list(struct), metadata=metadata)
