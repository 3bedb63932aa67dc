"""``pgb query`` against a real BigQuery REST emulator holding the sample ZTF alerts."""

from __future__ import annotations

import subprocess
from typing import Any

import anyio
import orjson
import pytest

from pittgoogle_cli.bigquery.client import BigQueryClient
from pittgoogle_cli.bigquery.sql import TableId, alerts_query

from .bqemu import create_table, insert_rows, load_schema, read_alerts, table_row
from .conftest import PAGING_TABLE, ZTF_TABLE, Alerts, pgb_command_env, pgb_query

BANDS = {1: "g", 2: "r", 3: "i"}  # ZTF's filter ids


def lines(out: bytes) -> list[Any]:
    return [orjson.loads(line) for line in out.splitlines()]


def newest_first(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(alerts, key=lambda a: (a["candidate"]["jd"], a["candid"]), reverse=True)


def test_by_object_ids_gives_their_alerts_newest_first(ztf_alerts: Alerts) -> None:
    wanted = [ztf_alerts.records[0]["objectId"], ztf_alerts.records[-1]["objectId"]]
    args = [a for object_id in wanted for a in ("--objectId", object_id)]
    done = pgb_query(ztf_alerts.host, *args)
    assert done.returncode == 0, done.stderr
    expected = newest_first([a for a in ztf_alerts.records if a["objectId"] in wanted])
    rows = lines(done.stdout)
    assert [r["candid"] for r in rows] == [a["candid"] for a in expected]
    for row, alert in zip(rows, expected, strict=True):
        candidate = alert["candidate"]
        assert row["objectId"] == alert["objectId"]
        assert row["magpsf"] == pytest.approx(candidate["magpsf"], rel=1e-6)
        assert row["jd"] == candidate["jd"]
        assert (row["ra"], row["dec"]) == (candidate["ra"], candidate["dec"])
        assert row["band"] == BANDS[candidate["fid"]]
    assert f"{len(expected)} rows written" in done.stderr.decode()


def test_candid_is_exact_above_2_to_the_53(ztf_alerts: Alerts) -> None:
    alert = max(ztf_alerts.records, key=lambda a: a["candid"])
    assert alert["candid"] > 2**53
    done = pgb_query(ztf_alerts.host, "--candid", str(alert["candid"]))
    assert done.returncode == 0, done.stderr
    (row,) = lines(done.stdout)
    assert row["candid"] == alert["candid"]
    as_text = pgb_query(ztf_alerts.host, "--candid", str(alert["candid"]), "--int64-as-string")
    (row,) = lines(as_text.stdout)
    assert row["candid"] == str(alert["candid"])


def test_int64_as_string_leaves_small_integers_numbers(ztf_alerts: Alerts) -> None:
    alert = max(ztf_alerts.records, key=lambda a: a["candid"])
    args = ("--candid", str(alert["candid"]), "--full", "--int64-as-string")
    done = pgb_query(ztf_alerts.host, *args)
    assert done.returncode == 0, done.stderr
    (row,) = lines(done.stdout)
    assert row["candid"] == str(alert["candid"])  # above 2**53: a double would round it
    assert row["candidate"]["fid"] == alert["candidate"]["fid"]  # INT64 too, but small
    assert row["candidate"]["nid"] == alert["candidate"]["nid"]


def test_full_gives_the_whole_alert_but_cutouts(ztf_alerts: Alerts) -> None:
    alert = ztf_alerts.records[-1]
    done = pgb_query(ztf_alerts.host, "--candid", str(alert["candid"]), "--full")
    assert done.returncode == 0, done.stderr
    (row,) = lines(done.stdout)
    assert row["objectId"] == alert["objectId"]
    assert row["candidate"]["fid"] == alert["candidate"]["fid"]
    assert row["candidate"]["magpsf"] == pytest.approx(alert["candidate"]["magpsf"], rel=1e-6)
    assert [p["jd"] for p in row["prv_candidates"]] == [p["jd"] for p in alert["prv_candidates"]]
    assert "cutoutScience" not in row


def test_max_keeps_the_newest_and_says_so(ztf_alerts: Alerts) -> None:
    object_ids = {a["objectId"] for a in ztf_alerts.records}
    args = [a for object_id in sorted(object_ids) for a in ("--objectId", object_id)]
    done = pgb_query(ztf_alerts.host, *args, "--max", "3")
    assert done.returncode == 0, done.stderr
    expected = newest_first(ztf_alerts.records)[:3]
    assert [r["candid"] for r in lines(done.stdout)] == [a["candid"] for a in expected]
    err = done.stderr.decode()
    assert "stopped at --max 3" in err
    assert "LIMIT" in err  # the emulator scans 0 bytes either way


def test_columns_choose_what_is_printed(ztf_alerts: Alerts) -> None:
    alert = ztf_alerts.records[0]
    done = pgb_query(
        ztf_alerts.host, "--candid", str(alert["candid"]), "--columns", "candid,candidate.rb,band"
    )
    assert done.returncode == 0, done.stderr
    (row,) = lines(done.stdout)
    assert set(row) == {"candid", "rb", "band"}
    assert row["rb"] == pytest.approx(alert["candidate"]["rb"], rel=1e-6)


def test_tom_format_has_the_generic_alert_fields(ztf_alerts: Alerts) -> None:
    alert = ztf_alerts.records[-1]
    done = pgb_query(ztf_alerts.host, "--objectId", alert["objectId"], "--format", "tom")
    assert done.returncode == 0, done.stderr
    rows = lines(done.stdout)
    tom = next(r for r in rows if r["id"] == alert["candid"])
    assert set(tom) == {"id", "name", "ra", "dec", "mag", "score", "timestamp", "url"}
    assert tom["name"] == alert["objectId"]
    assert tom["mag"] == pytest.approx(alert["candidate"]["magpsf"], rel=1e-6)
    assert tom["score"] == pytest.approx(alert["candidate"]["classtar"], rel=1e-6)
    assert alert["objectId"] in tom["url"]


def test_format_names_what_pull_names_jsonl(ztf_alerts: Alerts) -> None:
    alert = ztf_alerts.records[0]
    done = pgb_query(ztf_alerts.host, "--candid", str(alert["candid"]), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [row["candid"] for row in lines(done.stdout)] == [alert["candid"]]
    old = pgb_query(ztf_alerts.host, "--candid", str(alert["candid"]), "--format", "json")
    assert old.returncode == 2 and old.stdout == b""  # one name for one thing, as in pull


def test_an_object_id_is_a_value_never_sql(ztf_alerts: Alerts) -> None:
    done = pgb_query(ztf_alerts.host, "--objectId", "x' OR '1'='1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert "0 rows written" in done.stderr.decode()


def test_values_take_their_schema_types(bq_host: str) -> None:
    sql = (
        'SELECT TIMESTAMP "2024-01-02 03:04:05.123456+00" AS t, CAST("NaN" AS FLOAT64) AS nan, '
        'b"\\x01\\x02" AS b, [1, 2] AS a, STRUCT(1 AS i, [STRUCT("x" AS s)] AS l) AS st, '
        "true AS yes, CAST(NULL AS INT64) AS nothing, @big AS big"
    )
    done = pgb_query(bq_host, "--sql", sql, "--param", f"big:INT64:{2**62 + 1}")
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [
        {
            "t": "2024-01-02T03:04:05.123456Z",
            "nan": None,
            "b": "AQI=",  # base64 of the two bytes, as BigQuery sends BYTES
            "a": [1, 2],
            "st": {"i": 1, "l": [{"s": "x"}]},
            "yes": True,
            "nothing": None,
            "big": 2**62 + 1,
        }
    ]


def test_array_parameters(bq_host: str) -> None:
    done = pgb_query(
        bq_host,
        "--sql",
        "SELECT n FROM UNNEST(@ns) AS n ORDER BY n",
        "--param",
        "ns:ARRAY<INT64>:[3, 1, 2]",
    )
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_a_result_over_many_pages_arrives_whole_and_in_order(bq_host: str) -> None:
    sql = "SELECT n FROM UNNEST(GENERATE_ARRAY(1, 2345)) AS n ORDER BY n"
    done = pgb_query(bq_host, "--sql", sql, "--page-size", "100")
    assert done.returncode == 0, done.stderr
    assert [r["n"] for r in lines(done.stdout)] == list(range(1, 2346))


def test_a_bigger_table_pages_whole_and_in_order(paging_candids: list[int], bq_host: str) -> None:
    sql = f"SELECT candid FROM `{PAGING_TABLE}` ORDER BY candid"
    done = pgb_query(bq_host, "--sql", sql, "--page-size", "37")
    assert done.returncode == 0, done.stderr
    assert [r["candid"] for r in lines(done.stdout)] == sorted(paging_candids)


def test_small_pages_of_the_alerts_table(ztf_alerts: Alerts) -> None:
    sql = f"SELECT objectId, candid FROM `{ZTF_TABLE}` ORDER BY candid"
    done = pgb_query(ztf_alerts.host, "--sql", sql, "--page-size", "2")
    assert done.returncode == 0, done.stderr
    expected = sorted(ztf_alerts.records, key=lambda a: a["candid"])
    assert lines(done.stdout) == [
        {"objectId": a["objectId"], "candid": a["candid"]} for a in expected
    ]


def test_max_on_sql_stops_reading(bq_host: str) -> None:
    sql = "SELECT n FROM UNNEST(GENERATE_ARRAY(1, 500)) AS n ORDER BY n"
    done = pgb_query(bq_host, "--sql", sql, "--page-size", "30", "--max", "45")
    assert done.returncode == 0, done.stderr
    assert [r["n"] for r in lines(done.stdout)] == list(range(1, 46))
    err = done.stderr.decode()
    assert "45 rows written of 500" in err
    assert "--max only stops reading" in err


def test_dry_run_prints_the_estimate_and_no_rows(ztf_alerts: Alerts) -> None:
    done = pgb_query(ztf_alerts.host, "--objectId", ztf_alerts.records[0]["objectId"], "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert "this query will scan" in done.stderr.decode()


@pytest.mark.parametrize(
    ("args", "code", "reason"),
    [
        (["--sql", "SELCT 1"], 1, "invalidQuery"),
        (["--sql", "SELECT nope FROM `ardent-cycling-243415.ztf.alerts_v4_02`"], 1, "invalidQuery"),
        (["--objectId", "ZTF18abc", "--table", "ardent-cycling-243415.ztf.nope"], 4, "notFound"),
    ],
)
def test_failed_queries_are_one_line_with_bigquerys_reason(
    ztf_alerts: Alerts, args: list[str], code: int, reason: str
) -> None:
    done = pgb_query(ztf_alerts.host, *args)
    assert done.returncode == code
    assert done.stdout == b""
    last = done.stderr.decode().strip().splitlines()[-1]
    assert last.startswith(f"pgb: BigQuery {reason}: ")
    assert "Traceback" not in done.stderr.decode()


def test_bands_g_r_i_from_fid(bq_host: str) -> None:
    schema = load_schema()
    alert = read_alerts()[0]
    rows = []
    for fid in BANDS:
        row = table_row(schema, alert)
        row["candid"] = alert["candid"] + fid
        row["candidate"] = {**row["candidate"], "fid": fid, "jd": alert["candidate"]["jd"] + fid}
        rows.append(row)
    create_table(bq_host, "pgb-tests.bands.alerts", schema)
    insert_rows(bq_host, "pgb-tests.bands.alerts", rows)
    done = pgb_query(bq_host, "--objectId", alert["objectId"], "--table", "pgb-tests.bands.alerts")
    assert done.returncode == 0, done.stderr
    assert [r["band"] for r in lines(done.stdout)] == [BANDS[3], BANDS[2], BANDS[1]]


def test_the_library_streams_rows_too(ztf_alerts: Alerts) -> None:
    alert = ztf_alerts.records[0]
    query = alerts_query(TableId.parse(ZTF_TABLE), candid=alert["candid"], columns=None)

    async def fetch() -> list[dict[str, Any]]:
        async with BigQueryClient("pgb-tests", emulator_host=ztf_alerts.host) as bq:
            await bq.estimate(query, max_bytes=10**6)
            async with bq.query(query) as result:
                return [row async for row in result]

    (row,) = anyio.run(fetch)
    assert row["candid"] == alert["candid"]
    assert row["candidate"]["magpsf"] == pytest.approx(alert["candidate"]["magpsf"], rel=1e-6)


def test_a_closed_stdout_ends_quietly_with_141(bq_host: str) -> None:
    argv, env = pgb_command_env(bq_host)
    sql = "SELECT n FROM UNNEST(GENERATE_ARRAY(1, 200000)) AS n ORDER BY n"
    with subprocess.Popen(
        [*argv, "--sql", sql], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:  # like `pgb query ... | head -1`
        assert process.stdout is not None and process.stderr is not None
        assert orjson.loads(process.stdout.readline()) == {"n": 1}
        process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=60) == 141
    assert b"Traceback" not in err
