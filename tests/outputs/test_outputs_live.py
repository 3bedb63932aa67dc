"""Every output from a live pull on the Pub/Sub emulator, read back with its own library.

These need ``pgb pull --out PATH --format F``; until the CLI has them they are skipped.
"""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
import subprocess

import fastavro
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pittgoogle_cli import Decoder
from pittgoogle_cli.packets import fields

from ..conftest import pgb_command, run_pgb
from .samples import as_json, comparable, lsst_files, lvk_files


def _pull_help() -> str:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(pgb_command("pull", "--help"), capture_output=True, env=env, timeout=60)
    return done.stdout.decode(errors="replace")


pytestmark = pytest.mark.skipif(
    "--out" not in _pull_help(), reason="pgb pull has no --out yet (CLI wiring pending)"
)


@pytest.fixture(scope="module")
def avro_payloads(ztf_payloads):
    return [*ztf_payloads, *(p.read_bytes() for p in lsst_files())]


def pull_to(channel, out, *extra):
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, "--until-empty", "--empty-wait", "0.5",
        "--out", str(out), *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""  # data went to the file, not stdout
    assert channel.drain_ids() == []  # everything written was acked
    return done


def expected(payloads):
    """What fastavro (or orjson) reads from the published bytes, in a stable order."""
    decoder = Decoder()
    records = [decoder.decode(p)[0] for p in payloads]
    return sorted(records, key=_key)


def _key(record):
    return (str(fields.object_id(record)), str(fields.candid(record)), str(record)[:200])


def test_jsonl_and_gzip(channel, avro_payloads, tmp_path):
    payloads = [*avro_payloads, *(p.read_bytes() for p in lvk_files())]
    channel.publish(payloads)
    pull_to(channel, tmp_path / "alerts.jsonl.gz")
    with gzip.open(tmp_path / "alerts.jsonl.gz", "rb") as handle:
        lines = [orjson.loads(line) for line in handle.read().splitlines()]
    assert sorted(lines, key=_key) == [as_json(r) for r in expected(payloads)]
    channel.publish(payloads[:3])
    pull_to(channel, tmp_path / "alerts.jsonl")
    lines = [orjson.loads(line) for line in (tmp_path / "alerts.jsonl").read_bytes().splitlines()]
    assert sorted(lines, key=_key) == [as_json(r) for r in expected(payloads[:3])]


def test_avro_folder(channel, ztf_payloads, tmp_path):
    channel.publish(ztf_payloads)
    pull_to(channel, f"{tmp_path / 'avro'}/")
    written = sorted((tmp_path / "avro").rglob("*.avro"))
    assert len(written) == len(ztf_payloads)
    assert sorted(p.read_bytes() for p in written) == sorted(ztf_payloads)
    for path in written:
        [record] = list(fastavro.reader(io.BytesIO(path.read_bytes())))
        assert path.relative_to(tmp_path / "avro").as_posix() == (
            f"{record['objectId']}/{record['candid']}.avro"
        )


def test_avro_folder_of_lsst_wire_format_by_format_option(channel, tmp_path):
    wire = [p.read_bytes() for p in lsst_files() if p.read_bytes()[:1] == b"\x00"]
    if not wire:
        pytest.skip("no LSST wire-format samples")
    channel.publish(wire[:1])
    pull_to(channel, tmp_path / "lsst", "--format", "avro")
    [path] = (tmp_path / "lsst").rglob("*.avro")
    records = list(fastavro.reader(io.BytesIO(path.read_bytes())))
    assert comparable(records) == comparable(expected(wire[:1]))


def test_sqlite_and_redelivery(channel, avro_payloads, tmp_path):
    ztf = avro_payloads[:9]
    channel.publish(ztf + ztf[:4])  # the same alerts again, in new messages
    out = tmp_path / "alerts.sqlite"
    pull_to(channel, out)
    channel.publish(ztf[2:6])
    pull_to(channel, out)
    with sqlite3.connect(out) as db:
        found = db.execute("SELECT candid, objectId, alert FROM alerts").fetchall()
    want = expected(ztf)
    assert sorted(c for c, _, _ in found) == sorted(r["candid"] for r in want)  # 64-bit, exact
    by_candid = {c: (o, orjson.loads(a)) for c, o, a in found}
    for record in want:
        assert by_candid[record["candid"]] == (record["objectId"], as_json(record))


def test_parquet(channel, avro_payloads, tmp_path):
    channel.publish(avro_payloads)
    out = tmp_path / "alerts.parquet"
    pull_to(channel, out)
    tables = [pq.read_table(p) for p in sorted(out.glob("part-*.parquet"))]
    rows = [row for table in tables for row in table.to_pylist()]
    assert sorted(map(comparable, rows), key=_key) == comparable(expected(avro_payloads))
    ztf = [t for t in tables if t.schema.metadata[b"pgb.schema"] == b"ztf.alert"]
    assert all(t.schema.field("candid").type == pa.int64() for t in ztf)


def test_an_unknown_suffix_exits_2_before_pulling(channel, ztf_payloads, tmp_path):
    channel.publish(ztf_payloads[:2])
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty",
                   "--out", str(tmp_path / "alerts.csv"))  # fmt: skip
    assert done.returncode == 2, done.stderr.decode()
    assert b".jsonl.gz" in done.stderr and b"--format" in done.stderr
    assert len(channel.drain_ids()) == 2  # nothing was taken
