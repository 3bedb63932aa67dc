"""The Parquet dataset, read back with pyarrow; and the Avro -> Arrow schema converter."""

from __future__ import annotations

import datetime

import anyio
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pittgoogle_cli import UnsupportedSchema
from pittgoogle_cli.outputs.arrow_schema import arrow_schema
from pittgoogle_cli.outputs.choose import open_sink
from pittgoogle_cli.packets import fields
from pittgoogle_cli.shapes.render import render_alert

from .samples import comparable, every_avro_alert, lvk_files, to_alerts


def write(folder, *batches):
    async def main():
        sink = open_sink(str(folder), None, render_alert)
        for batch in batches:
            await sink.write(batch)
        await sink.aclose()

    anyio.run(main)


def parts(folder):
    return sorted(folder.glob("part-*.parquet"))


@pytest.fixture(scope="module")
def alerts():
    return every_avro_alert()


def by_ids(record):
    return (str(fields.object_id(record)), fields.candid(record))


def test_a_mixed_schema_batch_gives_one_part_per_schema(tmp_path, alerts):
    out = tmp_path / "alerts.parquet"
    write(out, alerts)
    schemas = {id(a.schema.schema): a.schema for a in alerts}
    assert len(parts(out)) == len(schemas) > 1
    read = []
    for part in parts(out):
        table = pq.read_table(part)
        meta = table.schema.metadata
        assert (meta[b"pgb.schema"].decode(), meta[b"pgb.version"].decode()) in {
            (info.name, info.version) for info in schemas.values()
        }
        read += table.to_pylist()
    assert sorted(map(comparable, read), key=by_ids) == sorted(
        (comparable(a.record) for a in alerts), key=by_ids
    )


def test_each_part_reads_back_as_its_alerts(tmp_path, alerts):
    for n, alert in enumerate(alerts):
        out = tmp_path / f"{n}.parquet"
        write(out, [alert])
        table = pq.read_table(out)  # the folder, as a dataset
        assert comparable(table.to_pylist()) == [comparable(alert.record)], alert.schema


def test_ids_stay_64_bit_and_cutouts_binary(tmp_path, alerts):
    ztf = [a for a in alerts if a.schema.version == "4.02"]
    out = tmp_path / "alerts.parquet"
    write(out, ztf)
    table = pq.read_table(out)
    assert table.schema.field("candid").type == pa.int64()
    assert table.column("candid").to_pylist() == [a.record["candid"] for a in ztf]
    candidate = table.schema.field("candidate").type
    assert candidate.field("jd").type == pa.float64()
    assert candidate.field("magpsf").type == pa.float32()
    assert candidate.field("fid").type == pa.int32()
    cutout = table.schema.field("cutoutScience").type
    assert cutout.field("stampData").type == pa.binary()


def test_batches_add_parts_that_read_as_one_table(tmp_path, alerts):
    info = alerts[0].schema
    same = [a for a in alerts if a.schema is info] * 3
    out = tmp_path / "alerts.parquet"
    write(out, same[:2], same[2:])
    assert len(parts(out)) == 2
    candids = pq.read_table(out).column("candid").to_pylist()
    assert candids == [a.record["candid"] for a in same]
    assert not list(out.glob(".*"))


def test_parts_of_every_ztf_version_read_as_one_dataset(tmp_path, alerts):
    ztf = [a for a in alerts if a.schema.survey == "ztf"]
    out = tmp_path / "alerts.parquet"
    write(out, ztf[:5], ztf[5:])
    schemas = [pq.read_schema(p) for p in parts(out)]
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    table = ds.dataset(out, schema=schema).to_table()
    assert sorted(table.column("candid").to_pylist()) == sorted(a.record["candid"] for a in ztf)
    v32 = [r for r in table.to_pylist() if r["schemavsn"] == "3.2"]
    assert v32 and all(r["candidate"]["drbversion"] is None for r in v32)  # new in v3.3


def test_lsst_and_ztf_parts_do_not_share_a_schema(tmp_path, alerts):
    """Documented: their cutouts differ (struct vs binary); read each survey's parts."""
    out = tmp_path / "alerts.parquet"
    write(out, alerts)
    by_survey: dict[str, list] = {}
    for part in parts(out):
        survey = pq.read_schema(part).metadata[b"pgb.schema"].decode().split(".")[0]
        by_survey.setdefault(survey, []).append(pq.read_table(part))
    assert set(by_survey) == {"ztf", "lsst"}
    assert pa.concat_tables(by_survey["ztf"], promote_options="permissive").num_rows == len(
        [a for a in alerts if a.schema.survey == "ztf"]
    )


def test_ztf_versions_concatenate_with_permissive_promotion(tmp_path, alerts):
    ztf = [a for a in alerts if a.schema.survey == "ztf"]
    out = tmp_path / "alerts.parquet"
    write(out, ztf)
    tables = [pq.read_table(p) for p in parts(out)]
    combined = pa.concat_tables(tables, promote_options="permissive")
    assert sorted(combined.column("candid").to_pylist()) == sorted(a.record["candid"] for a in ztf)


def test_json_alerts_get_inferred_types(tmp_path):
    lvk = to_alerts(lvk_files())
    if not lvk:
        pytest.skip("no LVK sample")
    out = tmp_path / "alerts.parquet"
    write(out, lvk)
    assert pq.read_table(out).to_pylist() == [a.record for a in lvk]


TOY = {
    "type": "record",
    "name": "toy",
    "namespace": "test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "n", "type": "int"},
        {"name": "f", "type": ["null", "float"]},
        {"name": "d", "type": "double"},
        {"name": "ok", "type": "boolean"},
        {"name": "s", "type": "string"},
        {"name": "b", "type": ["bytes", "null"]},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "h", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {
            "name": "point",
            "type": {
                "type": "record",
                "name": "Point",
                "fields": [{"name": "x", "type": "double"}, {"name": "y", "type": "double"}],
            },
        },
        {"name": "points", "type": {"type": "array", "items": "Point"}},
        {"name": "other", "type": ["null", "test.Point"]},
        {"name": "tags", "type": {"type": "map", "values": "long"}},
        {"name": "t", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    ],
}


def test_the_converter_maps_every_avro_type():
    point = pa.struct(
        [pa.field("x", pa.float64(), nullable=False), pa.field("y", pa.float64(), nullable=False)]
    )
    expected = [
        ("id", pa.int64(), False),
        ("n", pa.int32(), False),
        ("f", pa.float32(), True),
        ("d", pa.float64(), False),
        ("ok", pa.bool_(), False),
        ("s", pa.string(), False),
        ("b", pa.binary(), True),
        ("kind", pa.string(), False),
        ("h", pa.binary(4), False),
        ("point", point, False),
        ("points", pa.list_(pa.field("item", point, nullable=False)), False),
        ("other", point, True),
        ("tags", pa.map_(pa.string(), pa.field("value", pa.int64(), nullable=False)), False),
        ("t", pa.timestamp("us", tz="UTC"), False),
        ("day", pa.date32(), False),
    ]
    schema = arrow_schema(TOY, {"pgb.version": "1"})
    assert [(f.name, f.type, f.nullable) for f in schema] == expected
    assert schema.metadata == {b"pgb.version": b"1"}


def test_a_toy_record_round_trips_through_its_arrow_schema():
    record = {
        "id": 2**62 + 1, "n": -3, "f": None, "d": 0.5, "ok": True, "s": "é", "b": b"\x00",
        "kind": "B", "h": b"abcd", "point": {"x": 1.0, "y": 2.0}, "points": [],
        "other": None, "tags": {"a": 1},
        "t": datetime.datetime(2026, 11, 30, 8, tzinfo=datetime.timezone.utc),
        "day": datetime.date(2026, 11, 30),
    }  # fmt: skip
    table = pa.Table.from_pylist([record], schema=arrow_schema(TOY))
    [back] = table.to_pylist()
    assert back == {**record, "tags": [("a", 1)]}  # Arrow maps read back as pairs


@pytest.mark.parametrize(
    ("avro", "match"),
    [
        ({"type": "record", "name": "r", "fields": [{"name": "u", "type": ["int", "string"]}]},
         "field u: union"),
        ({"type": "record", "name": "r", "fields": [{"name": "me", "type": ["null", "r"]}]},
         "contains itself"),
        ({"type": "record", "name": "r", "fields": [{"name": "x", "type": "Nope"}]},
         "unknown Avro type"),
        ("long", "record schema"),
    ],
)  # fmt: skip
def test_what_parquet_cannot_hold_is_a_clear_error(avro, match):
    with pytest.raises(UnsupportedSchema, match=match):
        arrow_schema(avro)
