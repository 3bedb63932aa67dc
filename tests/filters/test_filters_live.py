"""Filters through ``pgb pull`` on the Pub/Sub emulator, as a user runs them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest

from ..conftest import Channel, run_pgb
from .conftest import Record, decode_all, unique_name
from .test_load import install_distribution

FAST = ("--until-empty", "--empty-wait", "1")


FILE_FILTERS = """
import anyio


async def bright(alert):
    await anyio.sleep(0)
    alert.setdefault("marks", []).append("file")
    return alert if alert["candidate"]["magpsf"] < 18 else None


def explode_on(candid):
    def explode(alert):
        if alert["candid"] == candid:
            raise ValueError(f"boom for {{candid}}")
        return alert
    return explode


explode = explode_on({candid})
"""
MODULE_FILTERS = """
def tag(alert):
    return {**alert, "marks": ["module"]}
"""


@pytest.fixture
def records(ztf_payloads: list[bytes], tmp_path: Path) -> list[Record]:
    """The alerts the payloads hold, decoded here to work out the expected output."""
    paths = []
    for n, payload in enumerate(ztf_payloads):
        paths.append(tmp_path / f"alert{n}.avro")
        paths[-1].write_bytes(payload)
    return decode_all(paths)


def written(done: subprocess.CompletedProcess[bytes], code: int = 0) -> list[Record]:
    assert done.returncode == code, done.stderr
    return [orjson.loads(line) for line in done.stdout.splitlines()]


def summary(done: subprocess.CompletedProcess[bytes], kept: int, dropped: int) -> bool:
    return f"{kept:,} written, {dropped:,} filtered".encode() in done.stderr


def test_where(channel: Channel, ztf_payloads: list[bytes], records: list[Record]):
    expected = sorted(
        r["candid"]
        for r in records
        if r["candidate"]["magpsf"] < 18 and (r["candidate"].get("drb") or 0) > 0.9
    )
    assert 0 < len(expected) < len(records)
    channel.publish(ztf_payloads)
    where = "candidate.magpsf < 18 and candidate.drb > 0.9"
    done = run_pgb(channel.host, "pull", channel.subscription_id, *FAST, "--where", where)
    assert sorted(a["candid"] for a in written(done)) == expected
    assert summary(done, len(expected), len(records) - len(expected)), done.stderr
    assert channel.drain_ids() == []  # the dropped ones were acked too


def test_a_module_then_a_file_in_order(
    channel: Channel, ztf_payloads: list[bytes], records: list[Record], tmp_path: Path
):
    modules = tmp_path / "modules"
    modules.mkdir()
    name = unique_name()
    (modules / f"{name}.py").write_text(MODULE_FILTERS)
    (tmp_path / "cuts.py").write_text(FILE_FILTERS.format(candid=0))
    expected = sorted(r["candid"] for r in records if r["candidate"]["magpsf"] < 18)
    channel.publish(ztf_payloads)
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, *FAST,
        "--filter", f"{name}:tag", "--filter", f"{tmp_path / 'cuts.py'}:bright",
        PYTHONPATH=str(modules),
    )  # fmt: skip
    alerts = written(done)
    assert sorted(a["candid"] for a in alerts) == expected
    assert all(a["marks"] == ["module", "file"] for a in alerts)
    assert summary(done, len(expected), len(records) - len(expected)), done.stderr


def test_an_entry_point(
    channel: Channel, ztf_payloads: list[bytes], records: list[Record], tmp_path: Path
):
    dist = unique_name("mypkg")
    install_distribution(tmp_path, dist, f"bright = {dist}:bright\n", FILE_FILTERS.format(candid=0))
    expected = sorted(r["candid"] for r in records if r["candidate"]["magpsf"] < 18)
    channel.publish(ztf_payloads)
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, *FAST, "--filter", "bright",
        PYTHONPATH=str(tmp_path),
    )  # fmt: skip
    assert sorted(a["candid"] for a in written(done)) == expected


def test_a_raising_filter_dead_letters_its_alert_only(
    channel: Channel, ztf_payloads: list[bytes], records: list[Record], tmp_path: Path
):
    target = records[3]["candid"]
    (tmp_path / "cuts.py").write_text(FILE_FILTERS.format(candid=target))
    ids = channel.publish(ztf_payloads)
    folder = tmp_path / "dead"
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, *FAST,
        "--filter", f"{tmp_path / 'cuts.py'}:explode", "--dead-letter", str(folder),
    )  # fmt: skip
    # The run goes on; exit 1 at the end says that some alerts need a look.
    assert sorted(a["candid"] for a in written(done, code=1)) == sorted(
        r["candid"] for r in records if r["candid"] != target
    )
    kept = folder / channel.subscription_id
    assert sorted(p.name for p in kept.glob("*.json")) == [f"{ids[3]}.json"]
    details = orjson.loads((kept / f"{ids[3]}.json").read_bytes())
    assert details["error"].startswith("FilterFailed: filter ")
    assert f"ValueError('boom for {target}')" in details["error"]
    assert 'raise ValueError(f"boom for {candid}")' in details["traceback"]  # the user's line
    assert (kept / f"{ids[3]}.bin").read_bytes() == ztf_payloads[3]
    assert b"1 dead-lettered" in done.stderr
    assert b"1 message(s) could not be decoded or filtered (1 because a filter raised)" in (
        done.stderr
    )
    assert channel.drain_ids() == []


def test_a_broken_filter_stops_at_once_and_acks_nothing(
    channel: Channel, ztf_payloads: list[bytes], tmp_path: Path
):
    ids = channel.publish(ztf_payloads * 3)  # 27: one pull takes them all, more than ten
    folder = tmp_path / "dead"
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, "--filter", "os:getcwd",
        "--dead-letter", str(folder), "--concurrency", "1", timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, b""), done.stderr
    assert done.stderr.count(b"\n") == 1, done.stderr
    assert done.stderr.startswith(b"pgb: filter posix:getcwd raised on each of the first 10 ")
    assert b"TypeError" in done.stderr
    assert sorted(channel.drain_ids()) == sorted(ids)  # nothing acked, all back at once


@pytest.mark.parametrize("direction", ["gt", "lt"])
def test_the_classtar_cut(
    direction: str, channel: Channel, ztf_payloads: list[bytes], records: list[Record]
):
    scores = sorted(r["candidate"]["classtar"] for r in records)
    middle = scores[len(scores) // 2]
    expected = sorted(
        r["candid"]
        for r in records
        if (r["candidate"]["classtar"] - middle) * (1 if direction == "gt" else -1) > 0
    )
    channel.publish(ztf_payloads)
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, *FAST,
        "--classtar-threshold", repr(middle), "--classtar", direction,
    )  # fmt: skip
    assert sorted(a["candid"] for a in written(done)) == expected


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--where", "open('x') == 1", b"pgb: --where: function calls are not allowed: open('x')"),
        ("--filter", "pgb_no_such_module:f", b"pgb: --filter 'pgb_no_such_module:f': no module"),
        ("--classtar-threshold", "2", b"pgb: invalid value for '--classtar-threshold'"),  # typer's
    ],
)
def test_a_bad_filter_is_a_usage_error_before_anything_is_pulled(
    option: str, value: str, message: bytes, channel: Channel, ztf_payloads: list[bytes]
):
    ids = channel.publish(ztf_payloads)
    done = run_pgb(channel.host, "pull", channel.subscription_id, *FAST, option, value)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr, done.stderr
    assert done.stdout == b""
    assert sorted(channel.drain_ids()) == sorted(ids)  # nothing pulled, nothing leased
