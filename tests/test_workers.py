"""``--workers N`` on Google's Pub/Sub emulator: the same lines as in one process, every
alert once, what cannot be decoded set aside, ``--max`` exact with the rest left in the
subscription, filters loaded by each worker, and a worker that dies acking nothing."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import pittgoogle_cli as pgb

from .conftest import DATA, Channel, run_pgb


def lines(out: bytes) -> list[dict]:
    return [orjson.loads(line) for line in out.splitlines()]


def test_two_workers_write_what_one_process_writes(
    channel: Channel, ztf_payloads: list[bytes], tmp_path: Path
):
    published = channel.publish([*ztf_payloads * 4, b"\x00\x00\x00\x03\xe9 not an alert"])
    dead = tmp_path / "dead"
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "--workers",
                   "2", "--envelope", "--dead-letter", str(dead), "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = lines(done.stdout)
    assert sorted(line["messageId"] for line in got) == sorted(published[:-1])  # each once
    assert len(list(dead.rglob("*.bin"))) == 1  # the bad one set aside, not dropped
    local = run_pgb(channel.host, "decode", str(DATA / "ztf"), "-q")
    by_candid = {a["candid"]: a for a in lines(local.stdout)}
    for line in got:  # the same alert as the in-process decoder makes of the same bytes
        assert line["alert"] == by_candid[line["alert"]["candid"]]
    assert channel.pull_raw() == []  # everything acked


def test_max_is_exact_and_the_rest_stays(channel: Channel, ztf_payloads: list[bytes]):
    channel.publish(ztf_payloads * 3)
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--max", "5", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 5
    rest = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "-q")
    assert len(rest.stdout.splitlines()) == len(ztf_payloads) * 3 - 5


def test_each_worker_loads_the_named_filter(channel: Channel, ztf_payloads, tmp_path: Path):
    filters = tmp_path / "myfilters.py"
    filters.write_text(
        "def bright(alert):\n    return alert if alert['candidate']['magpsf'] < 18 else None\n"
    )
    channel.publish(ztf_payloads * 2)
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "--workers",
                   "2", "--filter", f"{filters}:bright")  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = lines(done.stdout)
    bright = sum(1 for a in lines(run_pgb(channel.host, "decode", str(DATA / "ztf")).stdout)
                 if a["candidate"]["magpsf"] < 18)  # fmt: skip
    assert len(got) == 2 * bright and all(a["candidate"]["magpsf"] < 18 for a in got)
    assert f"{2 * bright} written, {2 * (len(ztf_payloads) - bright)} filtered out" in (
        done.stderr.decode()
    )


def test_a_worker_that_dies_acks_nothing_of_its_batch(channel: Channel, ztf_payloads, tmp_path):
    filters = tmp_path / "deadly.py"
    filters.write_text("import os\ndef crash(alert):\n    os._exit(3)\n")
    channel.publish(ztf_payloads)
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "--workers",
                   "2", "--filter", f"{filters}:crash")  # fmt: skip
    assert done.returncode == 1 and done.stdout == b""
    err = done.stderr.decode()
    assert "pgb: a --workers process died" in err and "Traceback" not in err
    rest = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "-q")
    assert len(rest.stdout.splitlines()) == len(ztf_payloads)  # all still there


def test_workers_take_json_lines_outputs_and_named_filters(channel: Channel, tmp_path: Path):
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--max", "1", "--workers",
                   "2", "--out", str(tmp_path / "x.sqlite"))  # fmt: skip
    assert done.returncode == 2
    assert "--workers writes JSON lines" in done.stderr.decode()
    assert not (tmp_path / "x.sqlite").exists()  # refused before it was made
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--max", "1", "--workers", "0")
    assert done.returncode == 2
    with pytest.raises(pgb.ConfigError, match="'module:function'"):
        settings = pgb.DecodeSettings(filters=(lambda alert: alert,), workers=2)
        from pittgoogle_cli.engine.workers import WorkerEngine

        WorkerEngine(settings, 2, lambda message, error: None, pgb.Counts())
