"""The SQLite output, read back with sqlite3."""

from __future__ import annotations

import dataclasses
import sqlite3

import anyio
import orjson
import pytest

from pittgoogle_cli.outputs.choose import open_sink
from pittgoogle_cli.packets import fields
from pittgoogle_cli.shapes.render import render_alert
from pittgoogle_cli.shapes.shape import ShapeOptions, make_renderer

from .samples import as_json, every_avro_alert, lvk_files, to_alerts, with_record


def write(path, *batches, render=render_alert):
    async def main():
        sink = open_sink(str(path), None, render)
        for batch in batches:
            await sink.write(batch)
        await sink.aclose()

    anyio.run(main)


def rows(path, sql="SELECT * FROM alerts ORDER BY rowid"):
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql)]


@pytest.fixture(scope="module")
def ztf():
    return [a for a in every_avro_alert() if a.schema.survey == "ztf"]


def test_each_alert_is_one_row_with_its_main_columns_and_json(tmp_path, ztf):
    out = tmp_path / "alerts.sqlite"
    write(out, ztf[:3], ztf[3:])
    found = rows(out)
    assert len(found) == len(ztf)
    for row, alert in zip(found, ztf, strict=True):
        record = alert.record
        assert row["candid"] == record["candid"]  # 64-bit, exact
        assert type(row["candid"]) is int
        assert row["objectId"] == record["objectId"]
        assert row["jd"] == record["candidate"]["jd"]
        assert (row["ra"], row["dec"]) == (record["candidate"]["ra"], record["candidate"]["dec"])
        assert row["magpsf"] == pytest.approx(record["candidate"]["magpsf"])
        assert row["band"] == {1: "g", 2: "r", 3: "i"}[record["candidate"]["fid"]]
        assert row["classtar"] == pytest.approx(record["candidate"]["classtar"])
        assert (row["survey"], row["schema_version"]) == ("ztf", alert.schema.version)
        assert row["message_id"] == alert.message_id
        assert row["publish_time"] == alert.publish_time
        assert orjson.loads(row["alert"]) == as_json(record)


def test_the_big_candids_survive_exactly(tmp_path, ztf):
    out = tmp_path / "alerts.db"
    write(out, ztf)
    big = [a.record["candid"] for a in ztf if a.record["candid"] > 2**53]
    assert big
    stored = [r["candid"] for r in rows(out, "SELECT candid FROM alerts")]
    assert set(big) <= set(stored)


def test_a_redelivered_alert_adds_no_row(tmp_path, ztf):
    out = tmp_path / "alerts.sqlite"
    write(out, ztf[:4])
    redelivered = [with_record(a, objectId="changed") for a in ztf[:4]]
    write(out, redelivered, ztf[4:], ztf)
    found = rows(out)
    assert sorted(r["candid"] for r in found) == sorted(a.record["candid"] for a in ztf)
    assert "changed" not in {r["objectId"] for r in found}  # the first copy stays


def test_lsst_rows_use_the_lsst_fields(tmp_path):
    lsst = [a for a in every_avro_alert() if a.schema.survey == "lsst"]
    if not lsst:
        pytest.skip("no LSST samples")
    out = tmp_path / "alerts.sqlite"
    write(out, lsst[:1])
    [row] = rows(out)
    record = lsst[0].record
    assert row["candid"] == fields.candid(record)
    assert row["objectId"] == fields.object_id(record)
    assert row["jd"] == pytest.approx(fields.jd(record))
    assert row["survey"] == "lsst"


def test_json_alerts_without_candid_are_keyed_by_message_id(tmp_path):
    lvk = to_alerts(lvk_files())
    if not lvk:
        pytest.skip("no LVK sample")
    out = tmp_path / "alerts.sqlite"
    write(out, lvk, lvk)
    [row] = rows(out)
    assert row["candid"] is None and row["message_id"] == lvk[0].message_id
    assert row["objectId"] == lvk[0].record["superevent_id"]
    write(out, [dataclasses.replace(lvk[0], message_id="another")])
    assert len(rows(out)) == 2


def test_the_json_column_is_shaped_by_the_renderer(tmp_path, ztf):
    out = tmp_path / "alerts.sqlite"
    write(out, ztf[:1], render=make_renderer(ShapeOptions(envelope=True)))
    [row] = rows(out)
    assert orjson.loads(row["alert"])["messageId"] == ztf[0].message_id
    assert orjson.loads(row["alert"])["alert"]["candid"] == ztf[0].record["candid"]


def test_nan_is_stored_as_null(tmp_path, ztf):
    candidate = {**ztf[0].record["candidate"], "magpsf": float("nan")}
    out = tmp_path / "alerts.sqlite"
    write(out, [with_record(ztf[0], candidate=candidate)])
    [row] = rows(out)
    assert row["magpsf"] is None
    assert orjson.loads(row["alert"])["candidate"]["magpsf"] is None


def test_the_database_is_in_wal_mode(tmp_path, ztf):
    out = tmp_path / "alerts.sqlite"
    write(out, ztf[:1])
    assert rows(out, "PRAGMA journal_mode") == [{"journal_mode": "wal"}]


def test_a_failing_batch_leaves_no_rows_and_the_next_one_is_written(tmp_path, ztf):
    out = tmp_path / "alerts.sqlite"
    bad = with_record(ztf[2], candid={"not": "an integer"})  # sqlite3 cannot bind a dict

    async def main():
        sink = open_sink(str(out), None, render_alert)
        with pytest.raises(sqlite3.Error):
            await sink.write([ztf[0], ztf[1], bad])
        await sink.write(ztf[3:5])
        await sink.aclose()

    anyio.run(main)
    assert [r["candid"] for r in rows(out)] == [a.record["candid"] for a in ztf[3:5]]


def test_concurrent_writes_take_turns_on_the_connection(tmp_path, ztf):
    out = tmp_path / "alerts.sqlite"

    async def main():
        sink = open_sink(str(out), None, render_alert)
        async with anyio.create_task_group() as tasks:
            for alert in ztf:
                tasks.start_soon(sink.write, [alert])
        await sink.aclose()

    anyio.run(main)
    assert len(rows(out)) == len(ztf)
