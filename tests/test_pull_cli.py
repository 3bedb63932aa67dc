"""``pgb pull`` end to end against Google's Pub/Sub emulator, as a user runs it."""

from __future__ import annotations

import io

import fastavro
import orjson
import pybase64

from .conftest import Channel, run_pgb


def lines(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_max_writes_exactly_n_and_returns_the_rest(channel: Channel, ztf_payloads, tmp_path):
    channel.publish(ztf_payloads * 3)  # 27 alerts
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--max", "10", "--no-create")
    assert done.returncode == 0, done.stderr
    alerts = lines(done.stdout)
    assert len(alerts) == 10
    assert all(a["objectId"].startswith("ZTF") for a in alerts)
    # The 17 not written were nacked at once, so they come straight back, not after 60 s.
    assert len(channel.drain_ids()) == 17
    assert b"max: 10 written" in done.stderr


def test_output_equals_what_fastavro_reads(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads)
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty")
    assert done.returncode == 0, done.stderr
    got = {a["candid"]: a for a in lines(done.stdout)}
    assert len(got) == len(ztf_payloads)
    for payload in ztf_payloads:
        want = next(fastavro.reader(io.BytesIO(payload)))
        alert = got[want["candid"]]
        for kind in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
            assert pybase64.b64decode(alert[kind]["stampData"]) == want[kind]["stampData"]
        assert alert["candidate"]["magpsf"] == want["candidate"]["magpsf"]
        assert len(alert["prv_candidates"] or []) == len(want["prv_candidates"] or [])
    assert channel.drain_ids() == []
