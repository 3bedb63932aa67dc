"""``pgb dead-letter list`` and ``replay`` on what a live pull set aside: an LSST alert of
a schema version pgb does not ship, found again once its schema folder is given."""

from __future__ import annotations

from pathlib import Path

import orjson

from .conftest import DATA, Channel, run_pgb
from .test_surveys import bump_lsst_schema, reference


def pgb(*args: str) -> tuple[int, bytes, str]:
    done = run_pgb("127.0.0.1:1", *args)  # no network: all of it is local files
    return done.returncode, done.stdout, done.stderr.decode()


def set_aside(channel: Channel, dead: Path) -> tuple[str, str]:
    """A live pull with one message it cannot decode and one it can; (unknown id, good id)."""
    body = (DATA / "lsst/lsst.v10_0.avro").read_bytes()[5:]
    unknown = b"\x00" + (1001).to_bytes(4, "big") + body  # schema id 1001 = v10.1
    good = (DATA / "lsst/lsst.v9_0.avro").read_bytes()
    ids = channel.publish([unknown, good], {"survey": "lsst"})
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty",
                   "--dead-letter", str(dead), "-q")  # fmt: skip
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1, done.stderr
    return ids[0], ids[1]


def test_list_says_what_is_kept_and_why(channel: Channel, tmp_path: Path):
    dead = tmp_path / "dead"
    unknown_id, _ = set_aside(channel, dead)
    code, out, err = pgb("dead-letter", "list", "--dir", str(dead), "--json")
    assert code == 0, err
    [kept] = [orjson.loads(line) for line in out.splitlines()]
    assert kept["messageId"] == unknown_id and kept["subscription"] == channel.subscription_id
    assert "unknown schema id 1001" in kept["error"]
    assert kept["attributes"] == {"survey": "lsst"} and kept["publishTime"].endswith("Z")
    code, out, _ = pgb("dead-letter", "list", channel.subscription_id, "--dir", str(dead))
    assert code == 0
    assert out.decode().split("  ")[:2] == [channel.subscription_id, unknown_id]


def test_replay_with_the_missing_schema_writes_it_and_empties_the_folder(
    channel: Channel, tmp_path: Path
):
    dead = tmp_path / "dead"
    set_aside(channel, dead)
    # Without the schema: still failing, still kept, exit 1.
    code, out, err = pgb("dead-letter", "replay", "--dir", str(dead))
    assert (code, out) == (1, b"") and "1 still failing (kept)" in err
    assert len(list((dead / channel.subscription_id).glob("*.bin"))) == 1

    schemas = bump_lsst_schema(tmp_path / "schemas")
    code, out, err = pgb("dead-letter", "replay", "--dir", str(dead), "--schema-dir", str(schemas))
    assert code == 0, err
    assert orjson.loads(out) == reference((DATA / "lsst/lsst.v10_0.avro").read_bytes())
    assert "1 written, 0 filtered out, 0 still failing" in err
    assert list((dead / channel.subscription_id).iterdir()) == []
    code, out, err = pgb("dead-letter", "list", "--dir", str(dead))
    assert (code, out) == (0, b"") and "no dead letters" in err


def test_replay_to_a_file_keeps_the_letters_until_the_file_is_written(
    channel: Channel, tmp_path: Path
):
    dead = tmp_path / "dead"
    set_aside(channel, dead)
    schemas = bump_lsst_schema(tmp_path / "schemas")
    full = "/dev/full"  # every write fails: ENOSPC
    code, _, err = pgb("dead-letter", "replay", "--dir", str(dead), "--schema-dir", str(schemas),
                       "--out", full, "--format", "jsonl")  # fmt: skip
    assert code == 8 and "No space left on device" in err, err
    assert len(list((dead / channel.subscription_id).glob("*.bin"))) == 1  # still there
