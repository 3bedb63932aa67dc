"""Every field path of an Avro alert schema, with its type and doc (``pgb schema fields``),
so that ``--where`` and ``--fields`` are written from the schema rather than guessed.

Nested records become dotted paths (``candidate.magpsf``); an array adds ``[]`` to its
name (``prv_candidates[].magpsf``, the spelling ``--fields`` takes); a union with null is
shown nullable (``float | null``). The same walk gives the paths ``--where`` and
``--fields`` are checked against (``packets.paths``).

The schema is an alert's (an Avro container's embedded one; a Confluent wire-format
packet's id, looked up as decoding does), an ``.avsc`` file's, the newest one pgb ships
for a survey, or one by id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro.schema import load_schema

from pittgoogle_cli._exceptions import ConfigError, DecodeError
from pittgoogle_cli.packets.decode import AVRO_MAGIC, parse_embedded_schema, read_container_header
from pittgoogle_cli.packets.models import SchemaInfo
from pittgoogle_cli.packets.schemas import SHIPPED, SchemaRegistry, schema_info

SURVEYS = ("ztf", "lsst")


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field: ``path`` as ``--fields`` takes it, its Avro ``type`` written for people
    (``float | null``, ``array<record>``), and the schema's ``doc`` on one line."""

    path: str
    type: str
    doc: str


def field_rows(schema: Any) -> list[FieldRow]:
    """Every field of a parsed Avro record schema, parents before their children, in the
    schema's order."""
    return list(_fields(schema, "", {}, ()))


def _fields(
    schema: Any, prefix: str, named: dict[str, Any], seen: tuple[str, ...]
) -> Iterator[FieldRow]:
    for record in _records(schema, named, seen):
        inner = (*seen, record.get("name", ""))
        for field in record.get("fields", []):
            step = f"{prefix}{field['name']}"
            kind, lists = _describe(field["type"], named)
            yield FieldRow(step, kind, " ".join(str(field.get("doc", "")).split()))
            child = _item(field["type"], named, lists)
            yield from _fields(child, f"{step}{'[]' * lists}.", named, inner)


def _records(schema: Any, named: dict[str, Any], seen: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The record(s) ``schema`` is: itself, a union's record branches, a named type's
    definition (each once on a path: a recursive type stops)."""
    if isinstance(schema, list):
        for branch in schema:
            yield from _records(branch, named, seen)
    elif isinstance(schema, str):
        if schema in named and schema not in seen:
            yield from _records(named[schema], named, seen)
    elif isinstance(schema, dict):
        _remember(schema, named)
        if schema.get("type") == "record" and schema.get("name") not in seen:
            yield schema
        elif isinstance(schema.get("type"), (dict, list)):
            yield from _records(schema["type"], named, seen)


def _remember(schema: dict[str, Any], named: dict[str, Any]) -> None:
    if isinstance(schema.get("name"), str) and schema.get("type") in ("record", "enum", "fixed"):
        named.setdefault(schema["name"], schema)


def _item(schema: Any, named: dict[str, Any], lists: int) -> Any:
    """What is inside ``lists`` levels of arrays (null branches dropped)."""
    for _ in range(lists):
        branches = schema if isinstance(schema, list) else [schema]
        arrays = [_resolve(b, named) for b in branches]
        schema = next(a["items"] for a in arrays if isinstance(a, dict) and "items" in a)
    return schema


def _resolve(schema: Any, named: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        _remember(schema, named)
        if isinstance(schema.get("type"), dict):
            return _resolve(schema["type"], named)
    return named.get(schema, schema) if isinstance(schema, str) else schema


def _describe(schema: Any, named: dict[str, Any]) -> tuple[str, int]:
    """The type as people read it, and how many array levels a path steps through
    (``[]`` each) to reach the records inside: 0 when there are none."""
    branches = schema if isinstance(schema, list) else [schema]
    nullable = any(b == "null" for b in branches)
    names, lists = [], 0
    for branch in branches:
        if branch == "null":
            continue
        name, depth = _one(_resolve(branch, named), named)
        names.append(name)
        lists = max(lists, depth)
    text = " | ".join(names) or "null"
    return (f"{text} | null" if nullable and names else text), lists


def _one(schema: Any, named: dict[str, Any]) -> tuple[str, int]:
    if isinstance(schema, str):
        return schema, 0
    if isinstance(schema, list):
        return _describe(schema, named)
    kind = schema.get("type")
    if kind == "array":
        inner, depth = _describe(schema["items"], named)
        records = depth or int(_has_record(schema["items"], named))
        return f"array<{inner}>", depth + 1 if records else 0
    if kind == "map":
        return f"map<{_describe(schema['values'], named)[0]}>", 0
    logical = schema.get("logicalType")
    if isinstance(kind, str) and logical:
        return f"{kind} ({logical})", 0
    return (kind if isinstance(kind, str) else "?"), 0


def _has_record(schema: Any, named: dict[str, Any]) -> bool:
    branches = schema if isinstance(schema, list) else [schema]
    return any(
        isinstance(r := _resolve(b, named), dict) and r.get("type") == "record" for b in branches
    )


def newest_shipped(survey: str) -> SchemaInfo:
    """The newest schema pgb ships for ``survey`` (ZTF's from its newest shipped alert)."""
    if survey not in SURVEYS:
        raise ConfigError(f"--survey {survey!r}: pgb knows {' and '.join(SURVEYS)}")
    files = sorted((SHIPPED / survey).glob(f"**/{survey}.*alert*.avsc"), key=_version_key)
    parsed = load_schema(str(files[-1]))
    return schema_info(parsed, f"shipped {files[-1].relative_to(SHIPPED)}")


def _version_key(path: Path) -> tuple[int, ...]:
    """``lsst.v10_0.alert.avsc`` -> (10, 0); ``ztf.alert.v4_02.avsc`` -> (4, 2)."""
    version = next(part for part in path.name.split(".") if part[:1] == "v" and "_" in part)
    return tuple(int(number) for number in version[1:].split("_"))


def schema_of_file(path: Path, registry: SchemaRegistry) -> SchemaInfo:
    """The schema of an alert file (container or wire format) or of an ``.avsc`` file.
    ``ConfigError`` if there is no such file, ``DecodeError`` if it holds no schema."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise DecodeError(f"{path}: cannot be read ({exc.strerror})") from None
    if data.startswith(AVRO_MAGIC):
        text = read_container_header(data)[0].get("avro.schema")
        if text is None:
            raise DecodeError(f"{path}: the Avro container has no embedded schema")
        return parse_embedded_schema(text)
    if data[:1] == b"\x00" and len(data) >= 5:
        return registry.get(int.from_bytes(data[1:5], "big"))
    return _avsc(path, data)


def _avsc(path: Path, data: bytes) -> SchemaInfo:
    try:
        text = json.loads(data)
    except ValueError:
        raise DecodeError(f"{path}: neither an Avro alert nor an .avsc schema") from None
    if not (isinstance(text, dict) and text.get("type") == "record"):
        raise DecodeError(f"{path}: JSON, but not an Avro record schema (a JSON alert has none)")
    try:
        return schema_info(load_schema(str(path)), "avsc")
    except Exception as exc:
        raise DecodeError(f"{path}: the schema cannot be loaded: {exc}") from None
