"""``pgb schema fields``: every field path of an alert schema with its type and doc, checked
against the real alerts it describes, and accepted by ``--fields`` and ``--where``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from pittgoogle_cli.packets.decode import Decoder

from .conftest import DATA, ZTF_FILES, pgb_command

LSST_FILES = sorted((DATA / "lsst").glob("*.avro"))
SHIPPED_LSST = Path(__file__).parent.parent / "pittgoogle_cli" / "packets" / "schemas" / "lsst"


def one_per_version(files: list[Path]) -> list[Path]:
    """The first file of each schema version (the version is in every file's name)."""
    seen: dict[str, Path] = {}
    for path in files:
        seen.setdefault(path.name.split(".")[-2], path)
    return list(seen.values())


ZTF_VERSIONS = one_per_version(ZTF_FILES)  # v3.2, v3.3, v4.01, v4.02


def pgb(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(pgb_command(*args), capture_output=True, timeout=120)


def fields(*args: str) -> list[dict[str, str]]:
    done = pgb("schema", "fields", *args, "--json")
    assert done.returncode == 0, done.stderr
    rows = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert rows and all(set(row) == {"path", "type", "doc"} for row in rows)
    return rows


def record_of(path: Path) -> dict[str, Any]:
    return Decoder().decode_all(path.read_bytes())[0][0]


def paths_in(value: Any, prefix: str = "") -> set[str]:
    """Every path in a decoded alert, spelt as ``pgb schema fields`` spells them."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(prefix + key)
            found |= paths_in(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            found |= paths_in(item, prefix[:-1] + "[].")
    return found


def values_at(record: Any, path: str) -> list[Any]:
    """The values ``path`` reaches in a decoded alert (one per list item for ``[]``)."""
    values = [record]
    for step in path.split(".") if path else ():
        name = step.removesuffix("[]")
        values = [v.get(name) if isinstance(v, dict) else None for v in values]
        if step.endswith("[]"):
            values = [item for v in values if isinstance(v, list) for item in v]
    return values


@pytest.mark.parametrize("alert", ZTF_VERSIONS + LSST_FILES, ids=lambda p: p.name)
def test_the_paths_are_those_of_the_alert_and_non_nullable_ones_are_never_null(alert: Path):
    """Every path the decoded alert has is listed, none is listed that a record there
    lacks, and a type without ``| null`` is never null in the alert."""
    rows = fields(str(alert))
    record = record_of(alert)
    listed = [row["path"] for row in rows]
    assert len(listed) == len(set(listed))
    assert paths_in(record) <= set(listed)
    for row in rows:
        parent, _, name = row["path"].rpartition(".")
        records = [p for p in values_at(record, parent) if isinstance(p, dict)]
        assert all(name in p for p in records), row
        if not row["type"].endswith("| null"):
            assert all(p[name] is not None for p in records), row


def test_types_and_docs_of_well_known_ztf_fields():
    rows = {row["path"]: row for row in fields("--survey", "ztf")}
    assert rows["objectId"] == {
        "path": "objectId",
        "type": "string",
        "doc": "object identifier or name",
    }
    assert rows["candidate"]["type"] == "record"
    assert rows["candidate.magpsf"]["type"] == "float"
    assert rows["candidate.magpsf"]["doc"] == "Magnitude from PSF-fit photometry [mag]"
    assert rows["candidate.drb"]["type"] == "float | null"
    assert rows["prv_candidates"]["type"] == "array<record> | null"
    assert rows["prv_candidates[].magpsf"]["type"] == "float | null"
    assert rows["fp_hists[].forcediffimflux"]["type"] == "float | null"
    assert rows["cutoutScience.stampData"]["type"] == "bytes"
    assert list(rows)[:3] == ["schemavsn", "publisher", "objectId"]  # the schema's order


def test_survey_ztf_is_the_newest_shipped_alerts_schema():
    done = pgb("schema", "fields", "--survey", "ztf", "--json")
    assert done.stderr == b"pgb: 205 fields of ZTF v4.02\n"
    newest = next(p for p in ZTF_FILES if p.name.endswith(".v4_02.avro"))
    assert fields("--survey", "ztf") == fields(str(newest))
    assert len(fields(str(ZTF_VERSIONS[0]))) < 205  # v3.2: fewer (no drb, no fp_hists)


def test_lsst_by_survey_by_id_and_by_packet_agree():
    newest = fields("--survey", "lsst")
    assert newest == fields("--schema-id", "1000") == fields(str(DATA / "lsst/lsst.v10_0.avro"))
    assert fields("--schema-id", "704") == fields(str(DATA / "lsst/lsst.v7_4.avro"))
    avsc = SHIPPED_LSST / "9/0/lsst.v9_0.alert.avsc"
    assert fields(str(avsc)) == fields("--schema-id", "900")
    rows = {row["path"]: row for row in newest}
    assert rows["diaSource.psfFlux"]["type"] == "float | null"
    assert rows["prvDiaSources[].psfFlux"]["type"] == "float | null"
    assert rows["diaObject"]["type"] == "record | null"


def test_a_schema_id_from_a_schema_dir(tmp_path: Path):
    """Schema id 909 exists only in the --schema-dir folder: a copy of v9.0 with a field
    added, so the listing shows it came from there."""
    folder = tmp_path / "9" / "9"
    shutil.copytree(SHIPPED_LSST / "9" / "0", folder)
    alert = json.loads((folder / "lsst.v9_0.alert.avsc").read_text())
    alert["fields"].append({"name": "pgbTestField", "type": "int", "doc": "added by a test"})
    (folder / "lsst.v9_9.alert.avsc").write_text(json.dumps(alert))
    rows = fields("--schema-id", "909", "--schema-dir", str(tmp_path))
    assert rows[-1] == {"path": "pgbTestField", "type": "int", "doc": "added by a test"}
    assert rows[:-1] == fields("--schema-id", "900")


def test_the_table_is_aligned_plain_text_whatever_the_terminal():
    done = subprocess.run(
        pgb_command("schema", "fields", "--survey", "ztf"),
        capture_output=True,
        env={**os.environ, "COLUMNS": "40"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    header, *body = lines
    assert header.split() == ["PATH", "TYPE", "DOC"]
    type_at, doc_at = header.index("TYPE"), header.index("DOC")
    rows = {row["path"]: row for row in fields("--survey", "ztf")}
    assert len(body) == len(rows)
    for line in body:  # one field a line, never wrapped at 40 columns
        path = line[:type_at].rstrip()
        assert line[type_at:doc_at].rstrip() == rows[path]["type"]
        assert line[doc_at:] == rows[path]["doc"]
    assert max(map(len, lines)) > 100


@pytest.mark.parametrize(
    ("alerts", "newest"),
    [(ZTF_FILES, "ztf/ztf_20250302_programid1_ZTF17aaarzyp_2982177112815010003.v4_02.avro"),
     (LSST_FILES, "lsst/lsst.v10_0.avro")],
    ids=["ztf", "lsst"],
)  # fmt: skip
def test_every_path_printed_is_accepted_by_fields_and_where(alerts: list[Path], newest: str):
    """All of them at once on alerts of every shipped version: --fields takes every path,
    --where every path without [] (it tests an alert's own fields, not a list's)."""
    paths = [row["path"] for row in fields(str(DATA / newest))]
    files = [str(p) for p in alerts]
    done = pgb("decode", *files, "--cutouts", "drop", "--fields", ",".join(paths))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(alerts)
    plain = [p for p in paths if "[]" not in p]
    assert len(plain) < len(paths)
    condition = " or ".join(f"{p} is not None" for p in plain)
    done = pgb("decode", *files, "--where", condition, "--fields", plain[0])
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(alerts)  # every alert has some field


def test_a_list_path_in_where_says_why_it_cannot_be():
    done = pgb("decode", str(ZTF_FILES[0]), "--where", "prv_candidates[].magpsf < 18")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.count(b"\n") == 1 and b"--where cannot do" in done.stderr
    done = pgb("decode", str(ZTF_FILES[0]), "--where", "prv_candidates.magpsf < 18")
    assert done.returncode == 2
    assert b"prv_candidates is a list: --where cannot look into it, --fields " in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--schema-id", "1234"), 4, "pgb: schema fields: no schema id 1234 in any folder"),
        (("nowhere.avro",), 2, "pgb: nowhere.avro: no such file"),
        ((str(DATA / "lvk/MS181101ab-preliminary.json"),), 1, "JSON, but not an Avro record"),
        ((str(DATA / "README.md"),), 1, "neither an Avro alert nor an .avsc schema"),
        ((), 2, "pgb: schema fields: give one of FILE, --survey, --schema-id"),
        (("--survey", "ztf", "--schema-id", "1000"), 2, "give one of FILE"),
        (("--survey", "elasticc"), 2, "pgb: --survey 'elasticc': pgb knows ztf and lsst"),
    ],
    ids=["unknown-id", "no-file", "json-alert", "text", "nothing", "two", "unknown-survey"],
)
def test_errors_are_one_line_and_an_exit_code(args: tuple[str, ...], code: int, message: str):
    done = pgb("schema", "fields", *args)
    assert (done.returncode, done.stdout) == (code, b""), done.stderr
    assert done.stderr.count(b"\n") == 1 and done.stderr.startswith(b"pgb: ")
    assert message in done.stderr.decode()


def test_an_unknown_schema_id_in_a_packet_is_an_error_naming_it(tmp_path: Path):
    packet = tmp_path / "packet.bin"
    packet.write_bytes(b"\x00" + (1234).to_bytes(4, "big") + b"whatever")
    done = pgb("schema", "fields", str(packet))
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.startswith(b"pgb: unknown schema id 1234 (v12.34)")


def test_the_shipped_ztf_schema_is_the_newest_alerts_own():
    """``schemas/ztf/ztf.alert.v4_02.avsc`` is the schema text inside the shipped v4.02
    alert, byte for byte; shipping a newer one means shipping an alert of it too."""
    from pittgoogle_cli.packets.decode import read_container_header

    newest = next(p for p in ZTF_FILES if p.name.endswith(".v4_02.avro"))
    embedded = read_container_header(newest.read_bytes())[0]["avro.schema"]
    shipped = SHIPPED_LSST.parent / "ztf" / "ztf.alert.v4_02.avsc"
    assert shipped.read_bytes() == embedded + b"\n"
    assert [p.name for p in shipped.parent.iterdir()] == [shipped.name]
