"""``pgb decode`` as a new user meets it: empty folders, gzip, standard input, the
dead-letter folder's notes, the summary line, and ``--cutouts`` typos."""

from __future__ import annotations

import gzip
import io
import subprocess
from pathlib import Path

import fastavro
import orjson
import pytest

from pittgoogle_cli._exceptions import ConfigError, DecodeError
from pittgoogle_cli.outputs.dead_letter import DeadLetterFolder
from pittgoogle_cli.packets.decode import read_container_header
from pittgoogle_cli.packets.models import LocalMessage
from pittgoogle_cli.shapes.shape import ShapeOptions

from .conftest import DATA, ZTF_FILES, pgb_command, pgb_env

CANDIDS = [next(fastavro.reader(io.BytesIO(p.read_bytes())))["candid"] for p in ZTF_FILES]
ALL_ZTF = b"".join(p.read_bytes() for p in ZTF_FILES)  # `cat tests/data/ztf/*.avro`


def pgb(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> tuple[int, bytes, str]:
    done = subprocess.run(
        pgb_command("decode", *args),
        input=stdin,
        env=pgb_env("127.0.0.1:1"),  # no network: local files only
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr.decode()


def candids(out: bytes) -> list[int]:
    return [orjson.loads(line)["candid"] for line in out.splitlines()]


# --- nothing to decode -----------------------------------------------------------------------


def test_an_empty_folder_says_so_and_exits_4(tmp_path: Path):
    assert pgb(str(tmp_path)) == (4, b"", f"pgb: no alert files in {tmp_path}\n")


def test_a_folder_of_other_files_is_empty_too(tmp_path: Path):
    (tmp_path / "README").write_text("my alerts\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "notes.txt").write_text("bright ones\n")
    assert pgb(str(tmp_path), "--quiet") == (4, b"", f"pgb: no alert files in {tmp_path}\n")


def test_an_empty_folder_next_to_alerts_is_named_and_the_alerts_decoded(tmp_path: Path):
    code, out, err = pgb(str(ZTF_FILES[0]), str(tmp_path), "--fields", "candid")
    assert (code, candids(out)) == (0, CANDIDS[:1])
    assert err.splitlines() == [
        f"pgb: no alert files in {tmp_path}",
        "pgb: decoded 1 file: 1 written, 0 filtered out, 0 failed",
    ]


# --- gzip ------------------------------------------------------------------------------------


def test_gzipped_files_are_read_as_the_plain_ones(tmp_path: Path):
    for path in ZTF_FILES:
        (tmp_path / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))
    code, zipped, err = pgb(str(tmp_path), "--cutouts", "drop")
    assert code == 0, err
    assert zipped == pgb(*map(str, ZTF_FILES), "--cutouts", "drop")[1]
    assert len(zipped.splitlines()) == len(ZTF_FILES)
    code, out, _ = pgb(str(tmp_path / f"{ZTF_FILES[0].name}.gz"), "--fields", "candid")
    assert (code, candids(out)) == (0, CANDIDS[:1])


def test_a_gzip_file_cut_short_is_an_error_of_its_own(tmp_path: Path):
    cut = tmp_path / "cut.avro.gz"
    cut.write_bytes(gzip.compress(ZTF_FILES[0].read_bytes())[:2000])
    code, out, err = pgb(str(cut), str(ZTF_FILES[1]), "--fields", "candid")
    assert (code, candids(out)) == (1, CANDIDS[1:2])
    assert f"pgb: {cut}: " in err
    assert "decoded 2 files: 1 written, 0 filtered out, 1 failed" in err


# --- standard input --------------------------------------------------------------------------


def test_stdin_holds_what_a_file_would():
    for path in (
        ZTF_FILES[0],
        DATA / "lsst/lsst.v9_0.avro",
        DATA / "lvk/MS181101ab-preliminary.json",
    ):
        assert pgb("-", stdin=path.read_bytes()) == pgb(str(path)), path


def test_stdin_holds_avro_files_one_after_another_plain_or_gzipped():
    for data in (ALL_ZTF, gzip.compress(ALL_ZTF)):
        code, out, err = pgb("-", "--fields", "candid", stdin=data)
        assert (code, candids(out)) == (0, CANDIDS), err
        assert err == f"pgb: decoded 1 file: {len(CANDIDS)} written, 0 filtered out, 0 failed\n"


def test_a_file_of_avro_files_one_after_another(tmp_path: Path):
    joined = tmp_path / "night.avro"
    joined.write_bytes(ALL_ZTF)
    code, out, _ = pgb(str(joined), "--fields", "candid")
    assert (code, candids(out)) == (0, CANDIDS)


def test_a_spoilt_alert_on_stdin_costs_only_itself():
    """The second alert's record starts with bytes no record can: its container is still
    cut apart from the others (its structure is intact), and only it fails."""
    second = ZTF_FILES[1].read_bytes()
    _, start = read_container_header(second)
    assert second[start] == 2  # the block's record count: 1 (a zig-zag varint)
    start += 1
    while second[start] & 0x80:  # the block's size in bytes, a varint too
        start += 1
    start += 1  # where the record starts
    spoilt = second[:start] + b"\xff" * 16 + second[start + 16 :]
    rest = b"".join(p.read_bytes() for p in ZTF_FILES[2:])
    stdin = ZTF_FILES[0].read_bytes() + spoilt + rest
    code, out, err = pgb("-", "--fields", "candid", stdin=stdin)
    assert (code, candids(out)) == (1, [CANDIDS[0], *CANDIDS[2:]])
    assert "pgb: <stdin> [2]: " in err
    assert f"decoded 1 file: {len(CANDIDS) - 1} written, 0 filtered out, 1 failed" in err


@pytest.mark.parametrize("kept", [5000, 30, 2])  # in its cutouts, its header, its magic
def test_an_alert_cut_short_on_stdin_costs_only_itself(kept: int):
    """A container cut short, then whole ones: the cut one reads on into the next, whose
    magic ends it; every alert after it is still written, and the count says one failed."""
    cut = ZTF_FILES[1].read_bytes()[:kept]
    stdin = ZTF_FILES[0].read_bytes() + cut + b"".join(p.read_bytes() for p in ZTF_FILES[2:])
    code, out, err = pgb("-", "--fields", "candid", stdin=stdin)
    assert (code, candids(out)) == (1, [CANDIDS[0], *CANDIDS[2:]]), err
    assert "pgb: <stdin> [2]: " in err
    assert f"decoded 1 file: {len(CANDIDS) - 1} written, 0 filtered out, 1 failed" in err


def test_a_block_length_no_file_has_is_a_failed_alert_not_a_crash():
    """A block whose length says 2**40 bytes: read a chunk at a time, it is found cut short
    (not allocated up front: MemoryError stopped the whole run); the next alert is written."""
    first = ZTF_FILES[0].read_bytes()
    header_end = first.index(first[-16:]) + 16
    huge = 2**40 << 1  # zig-zag
    length = bytearray()
    while huge > 0x7F:
        length.append(huge & 0x7F | 0x80)
        huge >>= 7
    length.append(huge)
    spoilt = first[:header_end] + b"\x02" + bytes(length) + b"a few bytes"
    code, out, err = pgb("-", "--fields", "candid", stdin=spoilt + ZTF_FILES[1].read_bytes())
    assert (code, candids(out)) == (1, [CANDIDS[1]]), err
    assert "pgb: <stdin> [1]: " in err


@pytest.mark.parametrize("codec", ["null", "deflate"])
def test_containers_of_many_blocks_are_cut_apart_at_their_ends(codec: str):
    """fastavro starts a block every sync_interval bytes: 500 records in many blocks, then a
    ZTF alert, on stdin; every record is one alert."""
    buffer = io.BytesIO()
    schema = {"type": "record", "name": "a", "fields": [{"name": "candid", "type": "long"}]}
    records = ({"candid": n} for n in range(500))
    fastavro.writer(buffer, schema, records, codec=codec, sync_interval=100)
    many = buffer.getvalue()
    assert len(list(fastavro.block_reader(io.BytesIO(many)))) == 10
    code, out, err = pgb("-", "--fields", "candid", stdin=many + ZTF_FILES[0].read_bytes())
    assert (code, candids(out)) == (0, [*range(500), CANDIDS[0]]), err


@pytest.mark.parametrize("cut", ["in its last block", "in its header"])
def test_a_file_cut_short_is_set_aside_whole(tmp_path: Path, cut: str):
    """A file of 500 records in ten blocks, cut short in its last block or inside its
    header's sync marker: the file fails as one piece (a clear error, the other files
    still decoded), never half of it, never as an empty file that went well."""
    buffer = io.BytesIO()
    schema = {"type": "record", "name": "a", "fields": [{"name": "candid", "type": "long"}]}
    fastavro.writer(buffer, schema, ({"candid": n} for n in range(500)), sync_interval=100)
    whole = buffer.getvalue()
    assert len(list(fastavro.block_reader(io.BytesIO(whole)))) == 10
    header_end = whole.index(whole[-16:])  # the sync marker, first seen ending the header
    kept = len(whole) - 5 if cut == "in its last block" else header_end + 8
    (tmp_path / "cut.avro").write_bytes(whole[:kept])
    (tmp_path / "ztf.avro").write_bytes(ZTF_FILES[0].read_bytes())
    code, out, err = pgb(str(tmp_path), "--fields", "candid")
    assert (code, candids(out)) == (1, [CANDIDS[0]])
    assert "cut.avro: Avro container is truncated" in err
    assert "decoded 2 files: 1 written, 0 filtered out, 1 failed" in err


def test_empty_stdin_is_an_error():
    code, out, err = pgb("-")
    assert (code, out) == (1, b"")
    assert "pgb: <stdin>: unrecognised message encoding (first bytes: nothing)" in err


# --- which files of a folder -----------------------------------------------------------------


def test_the_dead_letter_folder_decodes_its_messages_not_its_notes(tmp_path: Path):
    """What a pull set aside, as DeadLetterFolder writes it: X.bin (the message) and X.json
    (why). Only the messages are read; macOS's and git's files next to them are skipped."""
    folder = DeadLetterFolder(tmp_path, "ztf-loop")
    folder.put(LocalMessage(ZTF_FILES[0].read_bytes(), "101"), DecodeError("was: no schema"))
    folder.put(LocalMessage(b"\x00garbage", "102"), DecodeError("unknown schema id"))
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "ztf-loop" / "._101.bin").write_bytes(b"\x00\x05\x16\x07")  # AppleDouble
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_text('{"candid": 1}')
    assert sorted(p.name for p in (tmp_path / "ztf-loop").iterdir()) == [
        "._101.bin", "101.bin", "101.json", "102.bin", "102.json"
    ]  # fmt: skip
    code, out, err = pgb(str(tmp_path), "--fields", "candid")
    assert (code, candids(out)) == (1, CANDIDS[:1])  # no {"candid": null} from a note
    assert f"pgb: {tmp_path}/ztf-loop/102.bin: " in err
    assert "decoded 2 files: 1 written, 0 filtered out, 1 failed" in err


def test_a_json_notice_alone_is_an_alert_and_a_note_named_is_read(tmp_path: Path):
    notice = DATA / "lvk/MS181101ab-preliminary.json"
    (tmp_path / notice.name).write_bytes(notice.read_bytes())
    code, out, _ = pgb(str(tmp_path), "--fields", "superevent_id")
    assert (code, orjson.loads(out)) == (0, {"superevent_id": "MS181101ab"})
    DeadLetterFolder(tmp_path, "s").put(LocalMessage(b"x", "7"), DecodeError("bad"))
    code, out, _ = pgb(str(tmp_path / "s" / "7.json"), "--fields", "messageId")
    assert (code, orjson.loads(out)) == (0, {"messageId": "7"})  # asked for by name


# --- the summary -----------------------------------------------------------------------------


def test_the_summary_counts_what_was_written_and_filtered_out():
    code, out, err = pgb(*map(str, ZTF_FILES), "--where", "candidate.magpsf < 18")
    written = len(out.splitlines())
    assert code == 0 and 0 < written < len(ZTF_FILES)
    assert err == (
        f"pgb: decoded {len(ZTF_FILES)} files: {written} written, "
        f"{len(ZTF_FILES) - written} filtered out, 0 failed\n"
    )


def test_quiet_keeps_only_the_errors():
    assert pgb(str(ZTF_FILES[0]), "-q", "--fields", "candid") == (
        0,
        b'{"candid":%d}\n' % CANDIDS[0],
        "",
    )
    code, _, err = pgb(str(ZTF_FILES[0]), str(DATA / "README.md"), "-q", "--fields", "candid")
    assert code == 1
    assert "pgb: decoded" not in err and "could not be decoded or filtered" in err


# --- --cutouts -------------------------------------------------------------------------------


def test_cutouts_keep_and_drop_in_any_case(tmp_path: Path):
    dropped = pgb(str(ZTF_FILES[0]), "--cutouts", "drop", cwd=tmp_path)
    assert pgb(str(ZTF_FILES[0]), "--cutouts", "Drop", cwd=tmp_path) == dropped
    assert orjson.loads(dropped[1])["cutoutScience"] is None
    kept = orjson.loads(pgb(str(ZTF_FILES[0]), "--cutouts", "KEEP", cwd=tmp_path)[1])
    assert kept["cutoutScience"]["stampData"]
    assert list(tmp_path.iterdir()) == []  # no folder named Drop or KEEP


def test_a_bare_word_for_cutouts_is_refused_unless_a_folder(tmp_path: Path):
    code, out, err = pgb(str(ZTF_FILES[0]), "--cutouts", "Dorp", cwd=tmp_path)
    assert (code, out) == (2, b"")
    assert (
        err == "pgb: --cutouts takes keep, drop or a folder path (./Dorp for a folder named Dorp)\n"
    )
    assert list(tmp_path.iterdir()) == []
    code, out, _ = pgb(str(ZTF_FILES[0]), "--cutouts", "./Dorp", "-q", cwd=tmp_path)
    assert code == 0
    assert (
        orjson.loads(out)["cutoutScience"]
        == "Dorp/ZTF20aahgyet_1127561440015015001_cutoutScience.fits.gz"
    )
    (tmp_path / "stamps").mkdir()  # a folder that exists may be named bare
    code, out, _ = pgb(str(ZTF_FILES[0]), "--cutouts", "stamps", "-q", cwd=tmp_path)
    assert code == 0 and orjson.loads(out)["cutoutScience"].startswith("stamps/")
    assert len(list((tmp_path / "stamps").glob("*.fits.gz"))) == 3


def test_python_callers_get_the_same_rule():
    """``DecodeSettings(cutouts=...)`` shapes through ``ShapeOptions``: a word is keep or
    drop in any case, a ``Path`` is a folder whatever its name."""
    assert ShapeOptions(cutouts="DROP").cutouts == "drop"
    assert ShapeOptions(cutouts=Path("Drop")).cutout_folder == Path("Drop")
    assert ShapeOptions(cutouts="~/stamps").cutout_folder == Path.home() / "stamps"
    with pytest.raises(ConfigError, match=r"\./Dorp for a folder named Dorp"):
        ShapeOptions(cutouts="Dorp")
