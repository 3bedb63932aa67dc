"""Every survey's sample packets through ``pgb decode`` and through a live pull: the JSON
equals what fastavro (or json) reads from the same bytes, bytes as base64, NaN as null."""

from __future__ import annotations

import io
import json
import math
import shutil
import subprocess
from pathlib import Path

import fastavro
import orjson
import pybase64
import pytest
from fastavro.schema import load_schema

from pittgoogle_cli.packets.schemas import SHIPPED

from .conftest import DATA, Channel, pgb_command, run_pgb

PACKETS = sorted(
    p for folder in ("ztf", "lsst", "lvk") for p in (DATA / folder).iterdir() if p.is_file()
)


def reference(data: bytes) -> dict:
    """What the survey's own tools read from these bytes, as pgb renders it in JSON."""
    if data.startswith(b"Obj\x01"):
        record = next(fastavro.reader(io.BytesIO(data)))
    elif data[:1] == b"{":
        record = json.loads(data)
    else:
        major, minor = divmod(int.from_bytes(data[1:5], "big"), 100)
        path = SHIPPED / f"lsst/{major}/{minor}/lsst.v{major}_{minor}.alert.avsc"
        record = fastavro.schemaless_reader(io.BytesIO(data[5:]), load_schema(str(path)))
    return as_json(record)


def as_json(value):
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, bytes):
        return pybase64.b64encode(value).decode()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def pgb(*args: str, **kw) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(pgb_command(*args), capture_output=True, timeout=120, **kw)


@pytest.mark.parametrize("path", PACKETS, ids=lambda p: p.name)
def test_pgb_decode_matches_the_surveys_reader(path: Path):
    done = pgb("decode", str(path))
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert orjson.loads(line) == reference(path.read_bytes())


def test_every_packet_flows_through_a_live_pull(channel: Channel):
    payloads = [p.read_bytes() for p in PACKETS]  # the LVK notice is a 1 MB message
    channel.publish(payloads)
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "--envelope")
    assert done.returncode == 0, done.stderr
    got = sorted(orjson.dumps(orjson.loads(line)["alert"]) for line in done.stdout.splitlines())
    want = sorted(orjson.dumps(reference(p)) for p in payloads)
    assert got == want
    assert b"0 dead-lettered" in done.stderr


def bump_lsst_schema(folder: Path, old: str = "10_0", new: str = "10_1") -> Path:
    """A v10.1 the package does not ship: the v10.0 files, renamed and re-namespaced."""
    target = folder / "10" / "1"
    target.mkdir(parents=True)
    for avsc in (SHIPPED / "lsst/10/0").glob("*.avsc"):
        text = avsc.read_text().replace(f"lsst.v{old}", f"lsst.v{new}")
        (target / avsc.name.replace(old, new)).write_text(text)
    return folder


def test_lsst_wire_format_with_a_schema_from_a_folder(tmp_path: Path, channel: Channel):
    body = (DATA / "lsst/lsst.v10_0.avro").read_bytes()[5:]
    unknown = b"\x00" + (1001).to_bytes(4, "big") + body  # schema id 1001 = v10.1
    message = tmp_path / "message.bin"
    message.write_bytes(unknown)

    refused = pgb("decode", str(message))
    assert refused.returncode == 1
    assert b"unknown schema id 1001 (v10.1)" in refused.stderr and refused.stdout == b""

    schemas = bump_lsst_schema(tmp_path / "schemas")
    done = pgb("decode", str(message), "--schema-dir", str(schemas))
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == reference((DATA / "lsst/lsst.v10_0.avro").read_bytes())
    shown = pgb("schema", "show", str(message), "--schema-dir", str(schemas))
    assert orjson.loads(shown.stdout) | {"file": None} == {
        "file": None, "survey": "lsst", "encoding": "confluent-wire",
        "schema": "lsst.v10_1.alert", "version": "10.1", "schemaId": 1001,
    }  # fmt: skip

    # Live: the unknown id is one dead letter, the known one flows.
    channel.publish([unknown, (DATA / "lsst/lsst.v9_0.avro").read_bytes()])
    dead = tmp_path / "dead"
    live = run_pgb(
        channel.host, "pull", channel.subscription_id, "--until-empty",
        "--dead-letter", str(dead),
    )  # fmt: skip
    assert live.returncode == 0, live.stderr
    assert len(live.stdout.splitlines()) == 1
    [kept] = (dead / channel.subscription_id).glob("*.json")
    assert "unknown schema id 1001" in orjson.loads(kept.read_bytes())["error"]


def test_schemaless_avro_with_a_schema_file(tmp_path: Path):
    schema = SHIPPED / "lsst/9/0/lsst.v9_0.alert.avsc"
    bare = tmp_path / "bare.bin"
    bare.write_bytes((DATA / "lsst/lsst.v9_0.avro").read_bytes()[5:])
    copied = tmp_path / "schema"
    shutil.copytree(schema.parent, copied)
    done = pgb("decode", str(bare), "--schema", str(copied / schema.name))
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == reference((DATA / "lsst/lsst.v9_0.avro").read_bytes())


def test_an_alert_with_no_history_and_null_fields_flows_everywhere(tmp_path: Path):
    source = next(p for p in PACKETS if "v4_02" in p.name).read_bytes()
    reader = fastavro.reader(io.BytesIO(source))
    alert = next(reader)
    alert["prv_candidates"] = None
    alert["fp_hists"] = None
    alert["cutoutScience"] = None
    alert["candidate"] = {k: None if k in ("classtar", "drb", "sgscore1") else v
                          for k, v in alert["candidate"].items()}  # fmt: skip
    bare = io.BytesIO()
    fastavro.writer(bare, reader.writer_schema, [alert])
    path = tmp_path / "bare.avro"
    path.write_bytes(bare.getvalue())

    for args in (
        ["--lite"],
        ["--format", "tom"],
        ["--where", "candidate.drb > 0.5 or candidate.magpsf < 30"],
        ["--classtar-threshold", "0.5"],
        ["--cutouts", "drop", "--fields", "candidate.classtar,prv_candidates"],
        ["--out", str(tmp_path / "x.sqlite")],
        ["--out", str(tmp_path / "x.parquet")],
        ["--out", str(tmp_path / "avro") + "/"],
    ):
        done = pgb("decode", str(path), *args)
        assert done.returncode == 0, (args, done.stderr)
    lite = orjson.loads(pgb("decode", str(path), "--lite").stdout)
    assert lite["classtar"] is None and lite["candid"] == alert["candid"]
    assert pgb("decode", str(path), "--classtar-threshold", "0.5").stdout == b""
