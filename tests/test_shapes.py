"""What each written alert looks like: --lite, --fields, --cutouts, --format tom."""

from __future__ import annotations

import gzip
import io
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import fastavro
import orjson

from .conftest import DATA, ZTF_FILES, pgb_command

ALERTS = {(a := next(fastavro.reader(io.BytesIO(p.read_bytes()))))["candid"]: a for p in ZTF_FILES}
BY_OBJECT = {alert["objectId"]: alert for alert in ALERTS.values()}


def decode(*args: str) -> list[dict]:
    return [orjson.loads(line) for line in decode_raw(*args)]


def decode_raw(*args: str) -> list[bytes]:
    done = subprocess.run(
        pgb_command("decode", *map(str, ZTF_FILES), *args), capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines(keepends=True)


def test_lite_is_the_flat_view():
    for row in decode("--lite"):
        c = ALERTS[row["candid"]]["candidate"]
        assert row["objectId"] == ALERTS[row["candid"]]["objectId"]
        assert (row["jd"], row["ra"], row["dec"]) == (c["jd"], c["ra"], c["dec"])
        assert (row["magpsf"], row["classtar"]) == (c["magpsf"], c["classtar"])
        assert row["band"] == {1: "g", 2: "r", 3: "i"}[c["fid"]]
        assert row["survey"] == "ztf"


def test_fields_projects_nested_paths_and_missing_ones_are_null():
    """``candidate.drb`` is missing from v3.2 alerts: null there (an unknown path would be
    an error, see test_field_paths)."""
    rows = decode("--fields", "objectId,candidate.magpsf,candidate.drb,candid")
    assert any(ALERTS[row["candid"]]["candidate"].get("drb") is None for row in rows)
    for row in rows:
        alert = ALERTS[row["candid"]]
        assert row == {
            "objectId": alert["objectId"],
            "candidate": {
                "magpsf": alert["candidate"]["magpsf"],
                "drb": alert["candidate"].get("drb"),
            },
            "candid": alert["candid"],
        }


def test_cutouts_drop_and_to_a_folder(tmp_path: Path):
    for row in decode("--cutouts", "drop"):
        assert row["cutoutScience"] is None and row["cutoutDifference"] is None
        assert row["prv_candidates"] is not None or ALERTS[row["candid"]]["prv_candidates"] is None

    folder = tmp_path / "cutouts"
    for row in decode("--cutouts", str(folder)):
        alert = ALERTS[row["candid"]]
        for kind in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
            path = Path(row[kind])
            assert path.parent == folder
            assert path.name == f"{alert['objectId']}_{alert['candid']}_{kind}.fits.gz"
            assert path.read_bytes() == alert[kind]["stampData"]
            assert gzip.decompress(path.read_bytes())[:6] == b"SIMPLE"  # a FITS file


def test_format_tom_gives_toms_generic_alert_fields():
    for row in decode("--format", "tom"):
        alert = ALERTS[row["id"]]
        c = alert["candidate"]
        when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=c["jd"] - 2440587.5)
        assert row["name"] == alert["objectId"]
        assert (row["ra"], row["dec"], row["mag"], row["score"]) == (
            c["ra"], c["dec"], c["magpsf"], c["classtar"],
        )  # fmt: skip
        stamp = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
        assert abs(stamp - when) < timedelta(milliseconds=1)
        assert alert["objectId"] in row["url"]


def test_envelope_wraps_any_shape():
    for row in decode("--lite", "--envelope"):
        assert set(row) == {"messageId", "publishTime", "attributes", "alert"}
        assert row["alert"]["objectId"] == ALERTS[row["alert"]["candid"]]["objectId"]
        assert row["messageId"].endswith(".avro")  # pgb decode: the file's name


def test_int64_as_string_keeps_every_digit_for_jq():
    for row in decode("--int64-as-string", "--fields", "candid,candidate.jd,candidate.fid"):
        candid = int(row["candid"])
        assert isinstance(row["candid"], str) and candid in ALERTS
        assert row["candidate"]["jd"] == ALERTS[candid]["candidate"]["jd"]  # floats stay
        assert isinstance(row["candidate"]["fid"], int)  # small integers stay numbers


def test_classtar_side_without_a_threshold_is_a_usage_error():
    done = subprocess.run(
        pgb_command("decode", str(ZTF_FILES[0]), "--classtar", "lt"), capture_output=True
    )
    assert done.returncode == 2
    assert done.stderr == b"pgb: --classtar needs --classtar-threshold T\n"
    assert done.stdout == b""


def test_format_tom_goes_with_envelope_int64_and_cutout_files(tmp_path: Path):
    rows = decode("--format", "tom", "--envelope", "--int64-as-string", "--cutouts", str(tmp_path))
    assert len(rows) == len(ALERTS)
    for row in rows:
        assert set(row) == {"messageId", "publishTime", "attributes", "alert"}
        tom = row["alert"]
        assert isinstance(tom["id"], str) and int(tom["id"]) in ALERTS
        assert tom["name"] == ALERTS[int(tom["id"])]["objectId"]
    assert len(list(tmp_path.glob("*.fits.gz"))) == 3 * len(ALERTS)


def usage_error(*args: str, cwd: Path | None = None) -> bytes:
    done = subprocess.run(
        pgb_command("decode", str(ZTF_FILES[0]), *args), capture_output=True, cwd=cwd
    )
    assert (done.returncode, done.stdout) == (2, b""), done.stderr
    assert done.stderr.count(b"\n") == 1 and done.stderr.startswith(b"pgb: ")
    return done.stderr


def test_shapes_that_exclude_each_other_are_a_usage_error():
    for pair in (("--lite", "--fields", "objectId"), ("--format", "tom", "--lite")):
        assert b"each choose what a line holds" in usage_error(*pair)
    assert b"--fields and --format tom" in usage_error("--format", "tom", "--fields", "objectId")


def test_format_tom_into_a_file_that_is_not_json_lines_is_refused(tmp_path: Path):
    for out in ("x.sqlite", "x.parquet", "folder/"):
        error = usage_error("--format", "tom", "--out", out, cwd=tmp_path)
        assert b"--format tom writes JSON lines" in error
    assert list(tmp_path.iterdir()) == []  # nothing was written
    decode("--format", "tom", "--out", str(tmp_path / "tom.jsonl"))
    rows = [orjson.loads(line) for line in (tmp_path / "tom.jsonl").read_bytes().splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(ALERTS)


def test_fields_reach_into_lists_with_brackets():
    """``prv_candidates[].magpsf`` keeps the list, each item cut down to what was asked for;
    ``fp_hists`` is missing from v3.x alerts and stays null there, not an empty list."""
    rows = decode("--fields", "objectId,prv_candidates[].magpsf,prv_candidates[].jd,fp_hists[].jd")
    assert len(rows) == len(ALERTS) == len(BY_OBJECT)
    for row in rows:
        alert = BY_OBJECT[row["objectId"]]
        fp_hists = alert.get("fp_hists")
        assert row == {
            "objectId": alert["objectId"],
            "prv_candidates": [
                {"magpsf": p["magpsf"], "jd": p["jd"]} for p in alert["prv_candidates"]
            ],
            "fp_hists": None if fp_hists is None else [{"jd": f["jd"]} for f in fp_hists],
        }
    assert {row["fp_hists"] is None for row in rows} == {True, False}  # v3.x and v4.x both


def test_fields_keep_the_alerts_shape_so_one_jq_program_reads_both():
    """The reason for the shape: what jq finds in the projection is what it finds in the
    whole alert, so a jq program is written once."""
    program = "[.objectId, [.prv_candidates[]? | .magpsf], [.fp_hists[]? | .jd]]"
    whole = subprocess.run(
        ["jq", "-c", program], input=b"".join(decode_raw()), capture_output=True, check=True
    )
    cut = decode_raw("--fields", "objectId,prv_candidates[].magpsf,fp_hists[].jd")
    picked = subprocess.run(
        ["jq", "-c", program], input=b"".join(cut), capture_output=True, check=True
    )
    assert picked.stdout == whole.stdout
    assert len(picked.stdout.splitlines()) == len(ALERTS)


def test_fields_whole_list_and_its_items_together_keep_the_whole_list():
    for spec in ("prv_candidates,prv_candidates[].jd", "prv_candidates[].jd,prv_candidates"):
        for row in decode("--cutouts", "drop", "--fields", f"candid,{spec}"):
            assert row["prv_candidates"] == ALERTS[row["candid"]]["prv_candidates"]


def test_fields_list_paths_that_are_wrong_are_usage_errors():
    assert b"is not a field path like" in usage_error("--fields", "prv_candidates[.jd")
    assert b"is not a field path like" in usage_error("--fields", "prv_candidates[0].jd")
    error = usage_error("--fields", "prv_candidates[].jd,prv_candidates.jd")
    assert error == b"pgb: --fields: prv_candidates and prv_candidates[] cannot both be kept\n"
    error = usage_error("--fields", "prv_candidates[].magpfs")
    assert b"did you mean prv_candidates[].magpsf?" in error
    error = usage_error("--fields", "prv_candidates.magpsf")  # the [] forgotten
    assert b"did you mean prv_candidates[].magpsf?" in error
    error = usage_error("--fields", "candidate[].magpsf")  # not a list
    assert b"did you mean candidate.magpsf?" in error


def test_lsst_fields_into_lists_and_a_null_list():
    done = subprocess.run(
        pgb_command("decode", str(DATA / "lsst"), "--fields",
                    "diaSourceId,prvDiaSources[].psfFlux,prvDiaForcedSources[].psfFlux"),
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 5
    for row in rows:
        assert row["prvDiaForcedSources"] is None  # null in every sample: stays null
        assert [set(p) for p in row["prvDiaSources"]] == [{"psfFlux"}, {"psfFlux"}]
        assert all(isinstance(p["psfFlux"], float) for p in row["prvDiaSources"])
