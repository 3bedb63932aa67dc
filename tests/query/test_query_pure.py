"""The pure parts: names that may reach SQL, parameters, sizes, and REST values."""

from __future__ import annotations

import pytest

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.bigquery.rest import format_bytes, parse_size
from pittgoogle_cli.bigquery.rows import Field, row_converter
from pittgoogle_cli.bigquery.sql import TableId, parse_parameter, search_query, select_list
from pittgoogle_cli.shapes.tom import jd_to_iso


@pytest.mark.parametrize(
    "table",
    [
        "ardent-cycling-243415.ztf.alerts`; DROP TABLE x; --",
        "ardent-cycling-243415.ztf",
        "a.b.c.d",
        "Ardent.ztf.alerts",
        "ardent-cycling-243415.ztf alerts.x",
        "ardent-cycling-243415.ztf.`x`",
    ],
)
def test_table_names_that_could_leave_their_quotes_are_refused(table: str) -> None:
    with pytest.raises(ConfigError):
        TableId.parse(table)


def test_a_valid_table_is_quoted_part_by_part() -> None:
    assert TableId.parse("ardent-cycling-243415.ztf.alerts_v4_02").sql == (
        "`ardent-cycling-243415`.`ztf`.`alerts_v4_02`"
    )


@pytest.mark.parametrize("column", ["a b", "a`", "1abc", "a.", "x;y", "candidate.(jd)"])
def test_column_names_must_be_identifiers(column: str) -> None:
    with pytest.raises(ConfigError):
        select_list([column])


def test_array_parameters_take_a_json_list() -> None:
    parameter = parse_parameter('ids:ARRAY<STRING>:["ZTF18a", "x\\"y"]')
    assert parameter["parameterType"] == {"type": "ARRAY", "arrayType": {"type": "STRING"}}
    values = [v["value"] for v in parameter["parameterValue"]["arrayValues"]]
    assert values == ["ZTF18a", 'x"y']


def test_a_string_parameter_keeps_colons() -> None:
    parameter = parse_parameter("t:TIMESTAMP:2024-01-02 03:04:05+00:00")
    assert parameter["parameterValue"]["value"] == "2024-01-02 03:04:05+00:00"


@pytest.mark.parametrize(
    ("text", "size"),
    [("10GiB", 10 * 2**30), ("500MB", 500 * 10**6), ("1.5TB", 15 * 10**11), ("123", 123)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bytes_are_shown_in_binary_units() -> None:
    assert format_bytes(3 * 2**30) == "3.00 GiB"
    assert format_bytes(512) == "512 B"


def test_values_bigquery_sends_in_its_other_shapes() -> None:
    fields = (
        Field("t", "TIMESTAMP"),  # float seconds: BigQuery's default without useInt64Timestamp
        Field("x", "FLOAT64"),
        Field("tags", "STRING", "REPEATED"),
        Field("j", "JSON"),
        Field("ok", "BOOLEAN"),
    )
    values = ["1.5E0", "-Infinity", None, '{"a":[1]}', "false"]
    row = {"f": [{"v": v} for v in values]}
    assert row_converter(fields)(row) == {
        "t": "1970-01-01T00:00:01.500000Z",
        "x": None,
        "tags": [],
        "j": {"a": [1]},
        "ok": False,
    }


def test_int64_as_string_is_pulls_rule_only_above_2_to_the_53() -> None:
    fields = (Field("candid", "INT64"), Field("fid", "INTEGER"), Field("ids", "INT64", "REPEATED"))
    big = 2**53 + 1
    row = {"f": [{"v": str(big)}, {"v": "2"}, {"v": [{"v": str(-big)}, {"v": "-7"}]}]}
    assert row_converter(fields, int64_as_string=True)(row) == {
        "candid": str(big),
        "fid": 2,
        "ids": [str(-big), -7],
    }
    assert row_converter(fields)(row) == {"candid": big, "fid": 2, "ids": [-big, -7]}
    null = {"f": [{"v": None}, {"v": None}, {"v": []}]}
    assert row_converter(fields, int64_as_string=True)(null) == {
        "candid": None,
        "fid": None,
        "ids": [],
    }


def test_julian_dates() -> None:
    assert jd_to_iso(2440587.5) == "1970-01-01T00:00:00.000Z"  # the Unix epoch
    assert jd_to_iso(2451545.0) == "2000-01-01T12:00:00.000Z"  # J2000.0


def test_search_query_sends_every_value_as_a_parameter() -> None:
    table = TableId.parse("ardent-cycling-243415.ztf.alerts_v4_02")
    hostile = "ZTF1' OR 1=1 --"
    query = search_query(table, object_ids=[hostile], magnitude=(None, 18.5), jd=(2460000.5, None))
    assert hostile not in query.sql and "18.5" not in query.sql and "2460000.5" not in query.sql
    values = {p["name"]: p["parameterValue"] for p in query.parameters}
    assert values["objectIds"] == {"arrayValues": [{"value": hostile}]}
    assert values["magMax"] == {"value": "18.5"} and values["jdMin"] == {"value": "2460000.5"}
    assert "magMin" not in values and "jdMax" not in values


def test_search_query_needs_a_condition_and_finite_bounds() -> None:
    table = TableId.parse("ardent-cycling-243415.ztf.alerts_v4_02")
    with pytest.raises(ConfigError, match="give an objectId"):
        search_query(table)
    with pytest.raises(ConfigError, match="not a finite number"):
        search_query(table, magnitude=(float("nan"), None))
