"""The SQL pgb writes, pure: validated identifiers, named parameters, the by-key queries.

No user text is ever pasted into SQL as text. Values travel as named query parameters;
the table and column names, which parameters cannot carry, are checked against strict
identifier rules first and then backtick-quoted, so a name cannot close its quote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.packets.fields import MAIN_FIELDS, ZTF_BANDS

DEFAULT_TABLE = "ardent-cycling-243415.ztf.alerts_v4_02"

# Google's project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter.
# Shorter ids are let through for emulators (any id is a project there).
_PROJECT = re.compile(r"[a-z][a-z0-9-]{0,28}[a-z0-9]")
_DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")
_TABLE = re.compile(r"[A-Za-z0-9_-]{1,1024}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")
_TYPE = re.compile(
    r"(STRING|INT64|FLOAT64|BOOL|NUMERIC|BIGNUMERIC|BYTES|DATE|DATETIME|TIME|TIMESTAMP|JSON)"
)

# The pseudo-column ``band`` turns ``candidate.fid`` into ZTF_BANDS' names, as --lite does.
_BAND_SQL = (
    "CASE `candidate`.`fid` "
    + " ".join(f"WHEN {fid} THEN '{name}'" for fid, name in ZTF_BANDS.items())
    + " END AS `band`"
)
# The flat view's fields, where the ZTF tables keep them (see fields.MAIN_FIELDS).
LIGHT_COLUMNS = tuple(f.column for f in MAIN_FIELDS)


@dataclass(frozen=True, slots=True)
class TableId:
    """``project.dataset.table``, each part checked against BigQuery's naming rules."""

    project: str
    dataset: str
    table: str

    @classmethod
    def parse(cls, text: str) -> TableId:
        parts = text.split(".")
        if len(parts) != 3:
            raise ConfigError(f"--table {text!r}: expected project.dataset.table")
        project, dataset, table = parts
        for part, rule, what in (
            (project, _PROJECT, "project id (lowercase letters, digits, -)"),
            (dataset, _DATASET, "dataset id (letters, digits, _)"),
            (table, _TABLE, "table id (letters, digits, _, -)"),
        ):
            if not rule.fullmatch(part):
                raise ConfigError(f"--table {text!r}: {part!r} is not a valid {what}")
        return cls(project, dataset, table)

    @property
    def sql(self) -> str:
        return f"`{self.project}`.`{self.dataset}`.`{self.table}`"

    def __str__(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"


@dataclass(frozen=True, slots=True)
class Query:
    """Standard SQL and its named parameters, in BigQuery's REST shape."""

    sql: str
    parameters: tuple[dict[str, Any], ...] = ()
    limit: int | None = field(default=None, compare=False)


def scalar_parameter(name: str, type_: str, value: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "parameterType": {"type": type_},
        "parameterValue": {"value": value},
    }


def array_parameter(name: str, type_: str, values: Sequence[str]) -> dict[str, Any]:
    return {
        "name": name,
        "parameterType": {"type": "ARRAY", "arrayType": {"type": type_}},
        "parameterValue": {"arrayValues": [{"value": v} for v in values]},
    }


def parse_parameter(text: str) -> dict[str, Any]:
    """``name:TYPE:value`` (``--param``); ``ARRAY<TYPE>`` takes a JSON list as its value."""
    name, sep, rest = text.partition(":")
    type_, sep2, value = rest.partition(":")
    if not (sep and sep2):
        raise ConfigError(f"--param {text!r}: expected name:TYPE:value")
    if not _IDENTIFIER.fullmatch(name):
        raise ConfigError(f"--param {text!r}: {name!r} is not a valid parameter name")
    type_ = type_.strip().upper()
    array = re.fullmatch(r"ARRAY<(\w+)>", type_)
    element = array.group(1) if array else type_
    if not _TYPE.fullmatch(element):
        raise ConfigError(f"--param {text!r}: unknown type {type_!r}")
    if array:
        return array_parameter(name, element, _json_list(text, value))
    _check_value(text, element, value)
    return scalar_parameter(name, element, value)


def _json_list(text: str, value: str) -> list[str]:
    try:
        items = orjson.loads(value)
    except orjson.JSONDecodeError:
        items = None
    if not isinstance(items, list):
        raise ConfigError(f'--param {text!r}: an ARRAY value is a JSON list, e.g. ["a","b"]')
    return [i if isinstance(i, str) else orjson.dumps(i).decode() for i in items]


def _check_value(text: str, type_: str, value: str) -> None:
    checks = {"INT64": int, "FLOAT64": float}
    try:
        if type_ in checks:
            checks[type_](value)
        elif type_ == "BOOL" and value.lower() not in ("true", "false"):
            raise ValueError(value)
    except ValueError:
        raise ConfigError(f"--param {text!r}: {value!r} is not a {type_}") from None


def select_list(columns: Sequence[str]) -> str:
    """``a, b.c AS c, band``: each column a dotted identifier path, named by its last part."""
    seen: set[str] = set()
    items: list[str] = []
    for column in columns:
        parts = column.strip().split(".")
        if not all(_IDENTIFIER.fullmatch(p) for p in parts) or len(parts) > 4:
            raise ConfigError(f"--columns: {column!r} is not a column name (e.g. candidate.magpsf)")
        name = parts[-1]
        if name.lower() in seen:
            raise ConfigError(f"--columns: two columns would be named {name!r}")
        seen.add(name.lower())
        if parts == ["band"]:
            items.append(_BAND_SQL)
        else:
            items.append(".".join(f"`{p}`" for p in parts) + f" AS `{name}`")
    if not items:
        raise ConfigError("--columns: no columns given")
    return ", ".join(items)


def alerts_query(
    table: TableId,
    *,
    object_ids: Sequence[str] = (),
    candid: int | None = None,
    columns: Sequence[str] | None = LIGHT_COLUMNS,
    limit: int | None = None,
) -> Query:
    """The alerts of some objects (or one candid), newest first.

    ``columns=None`` selects whole alerts. ``limit`` is sent as ``limit + 1`` so that the
    reader can tell a truncated result from one that happened to have ``limit`` rows.
    """
    if bool(object_ids) == (candid is not None):
        raise ConfigError("give --objectId (one or more) or --candid")
    what = "*" if columns is None else select_list(columns)
    if object_ids:
        where = "`objectId` IN UNNEST(@objectIds)"
        params = [array_parameter("objectIds", "STRING", list(object_ids))]
    else:
        where = "`candid` = @candid"
        params = [scalar_parameter("candid", "INT64", str(candid))]
    # Only checked, backtick-quoted identifiers reach the text; every value is a parameter.
    order = "ORDER BY `candidate`.`jd` DESC, `candid` DESC"  # newest first, ties stable
    sql = f"SELECT {what} FROM {table.sql} WHERE {where} {order}"  # noqa: S608
    if limit is not None:
        sql += " LIMIT @limit"
        params.append(scalar_parameter("limit", "INT64", str(limit + 1)))
    return Query(sql, tuple(params), limit)


def without_limit(query: Query) -> Query:
    """The same query with no LIMIT: its dry run tells whether LIMIT saves anything."""
    sql = query.sql.removesuffix(" LIMIT @limit")
    params = tuple(p for p in query.parameters if p["name"] != "limit")
    return Query(sql, params)


def search_query(
    table: TableId,
    *,
    object_ids: Sequence[str] = (),
    candid: int | None = None,
    magnitude: tuple[float | None, float | None] = (None, None),
    jd: tuple[float | None, float | None] = (None, None),
    columns: Sequence[str] | None = ("objectId", "candid", "candidate", "prv_candidates"),
    limit: int | None = None,
) -> Query:
    """Alerts by any of: objects, a candid, ``candidate.magpsf`` within ``magnitude``,
    ``candidate.jd`` within ``jd`` (each bound inclusive, None for open), newest first.
    At least one condition: a search with none would scan, and bill, the whole table."""
    conditions: list[str] = []
    params: list[dict[str, Any]] = []
    if object_ids:
        conditions.append("`objectId` IN UNNEST(@objectIds)")
        params.append(array_parameter("objectIds", "STRING", list(object_ids)))
    if candid is not None:
        conditions.append("`candid` = @candid")
        params.append(scalar_parameter("candid", "INT64", str(int(candid))))
    for column, (low, high), name in (
        ("`candidate`.`magpsf`", magnitude, "mag"),
        ("`candidate`.`jd`", jd, "jd"),
    ):
        for bound, operator, suffix in ((low, ">=", "Min"), (high, "<=", "Max")):
            if bound is not None:
                if not math.isfinite(bound):
                    raise ConfigError(f"{name} bound {bound!r} is not a finite number")
                conditions.append(f"{column} {operator} @{name}{suffix}")
                params.append(scalar_parameter(f"{name}{suffix}", "FLOAT64", repr(float(bound))))
    if not conditions:
        raise ConfigError("give an objectId, a candid, a magnitude range or a time window")
    what = "*" if columns is None else select_list(columns)
    where = " AND ".join(conditions)
    order = "ORDER BY `candidate`.`jd` DESC, `candid` DESC"
    sql = f"SELECT {what} FROM {table.sql} WHERE {where} {order}"  # noqa: S608
    if limit is not None:
        sql += " LIMIT @limit"
        params.append(scalar_parameter("limit", "INT64", str(limit + 1)))
    return Query(sql, tuple(params), limit)
