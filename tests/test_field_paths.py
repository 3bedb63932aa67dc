"""A misspelt ``--where`` or ``--fields`` path is a usage error naming the closest real
field, and acks nothing; a field that only some versions of a survey have is not one."""

from __future__ import annotations

import fastavro
import pytest

from pittgoogle_cli.packets.paths import ZTF_PATHS, render_paths, schema_paths

from .conftest import DATA, ZTF_FILES, new_channel, run_pgb


@pytest.mark.parametrize(
    ("option", "value", "hint"),
    [
        ("--where", "candidate.magpfs < 18", "did you mean candidate.magpsf?"),
        ("--fields", "objectId,candidate.jdd", "did you mean candidate.jd?"),
    ],
)
def test_a_misspelt_path_stops_the_pull_and_acks_nothing(
    emulator: str, ztf_payloads, option, value, hint
):
    chan = new_channel(emulator)
    published = chan.publish(ztf_payloads)
    done = run_pgb(emulator, "pull", chan.subscription_id, "--no-create", "--until-empty",
                   option, value)  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pgb: {option}: no field ")
    assert hint in lines[0]
    assert sorted(chan.drain_ids()) == sorted(published)  # every one still there


def test_a_field_some_versions_lack_is_no_error(emulator: str, ztf_payloads):
    """``candidate.drb`` is in ZTF v3.3 and later, not in v3.2: a stream mixing them is
    filtered, the v3.2 alerts as having no drb."""
    expected = set()
    for path in ZTF_FILES:
        with path.open("rb") as handle:
            record = next(fastavro.reader(handle))
        drb = record["candidate"].get("drb")
        if drb is not None and drb > 0.5:
            expected.add(record["objectId"])
    assert 0 < len(expected) < len(ZTF_FILES)
    chan = new_channel(emulator)
    chan.publish(ztf_payloads)
    done = run_pgb(emulator, "pull", chan.subscription_id, "--no-create", "--until-empty",
                   "--where", "candidate.drb > 0.5", "--fields", "objectId")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {line.split(b'"')[3].decode() for line in done.stdout.splitlines()} == expected
    assert chan.drain_ids() == []


def test_shipped_ztf_paths_are_those_of_the_shipped_alerts():
    """``ztf-paths.txt`` lists every path of every ZTF version pgb ships an alert of;
    regenerate it from tests/data/ztf when adding one."""
    found: set[tuple[str, ...]] = set()
    for path in ZTF_FILES:
        with path.open("rb") as handle:
            found |= schema_paths(fastavro.reader(handle).writer_schema)
    assert ZTF_PATHS.read_text() == render_paths(found)
    assert ("candidate", "drb") in found and ("fp_hists",) in found


def test_lsst_misspelt_path(tmp_path):
    done = run_pgb("", "decode", str(DATA / "lsst"), "--where", "diaSource.psfFlx > 0")
    assert done.returncode == 2
    assert "did you mean diaSource.psfFlux?" in done.stderr.decode()


@pytest.mark.parametrize(
    ("option", "wanted", "hint"),
    [
        ("--fields", "objectId", "(LSST alerts keep it in diaObject.diaObjectId or "
         "diaSource.diaObjectId)"),
        ("--fields", "OBJECTID", "(LSST alerts keep it in diaObject.diaObjectId or "
         "diaSource.diaObjectId)"),
        ("--fields", "magpsf", "(LSST alerts keep it in diaSource.psfFlux, a flux in nJy, "
         "not a magnitude)"),
        ("--where", "candidate.jd > 0", "(LSST alerts keep it in diaSource.midpointMjdTai, in "
         "MJD (TAI), not JD)"),
        ("--fields", "diaobjectid", "(did you mean diaObject.diaObjectId?)"),
    ],
)  # fmt: skip
def test_a_ztf_name_on_lsst_alerts_says_where_lsst_keeps_it(option, wanted, hint):
    """A ZTF user's first command on a Rubin stream: the error names LSST's field."""
    done = run_pgb("", "decode", str(DATA / "lsst" / "lsst.v9_0.avro"), option, wanted)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[0].endswith(f" in LSST v9.0 alerts {hint}")


@pytest.mark.parametrize(
    ("wanted", "near"),
    [
        ("objectid", "did you mean objectId?"),  # case only
        ("prv_candidates.magpsf", "did you mean prv_candidates[].magpsf?"),  # not candidate's
        ("fid", "did you mean candidate.fid?"),
    ],
)
def test_a_near_miss_on_ztf_names_the_field_meant(wanted, near):
    done = run_pgb("", "decode", str(ZTF_FILES[0]), "--fields", wanted)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[0].endswith(f"({near})")
