"""``pgb pull`` end to end against Google's Pub/Sub emulator, as a user runs it."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from subprocess import PIPE

import fastavro
import httpx
import orjson
import pybase64

from .conftest import PROJECT, Channel, new_channel, pgb_command, pgb_env, run_pgb


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


def test_until_empty_drains_the_backlog_and_acks_it(channel: Channel, ztf_payloads):
    ids = channel.publish(ztf_payloads * 25)  # 225 alerts, more than one pull each way
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--until-empty", "-q")
    assert done.returncode == 0, done.stderr
    assert len(lines(done.stdout)) == len(ids)
    assert done.stderr == b""  # --quiet: nothing for humans, and stdout had only data
    assert channel.drain_ids() == []


def test_a_quiet_pull_loads_neither_rich_nor_httpxs_command_line(channel: Channel, ztf_payloads):
    """A quiet pull draws no live line and never runs httpx's own command: rich, click and
    pygments stay unloaded (a one-alert pull's CPU went from 440 to 315 ms, bench.ab
    --alerts 1), and the alerts come out all the same."""
    channel.publish(ztf_payloads[:2])
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pittgoogle_cli",
         "pull", channel.subscription_id, "--until-empty", "-q"],
        env=pgb_env(channel.host), capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(lines(done.stdout)) == 2 and channel.drain_ids() == []
    imported = {
        line.rsplit(b"|", 1)[-1].strip().decode()
        for line in done.stderr.splitlines()
        if line.startswith(b"import time:")
    }
    assert {"httpx", "fastavro", "typer"} <= imported  # the list is the pull's imports
    assert sorted(n for n in imported if n.split(".")[0] in {"rich", "click", "pygments"}) == []
    assert not [line for line in done.stderr.splitlines() if not line.startswith(b"import")]


def test_timeout_stops_an_idle_stream_with_exit_0(channel: Channel):
    start = time.monotonic()
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--timeout", "1.5")
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert 1.5 <= elapsed < 15
    assert b"timeout: 0 written" in done.stderr


def test_envelope_carries_the_message(channel: Channel, ztf_payloads):
    [message_id] = channel.publish(ztf_payloads[:1], {"survey": "ztf", "schema": "4.02"})
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--max", "1", "--envelope")
    assert done.returncode == 0, done.stderr
    [wrapped] = lines(done.stdout)
    assert wrapped["messageId"] == message_id
    assert wrapped["attributes"] == {"survey": "ztf", "schema": "4.02"}
    assert wrapped["publishTime"].endswith("Z")
    want = next(fastavro.reader(io.BytesIO(ztf_payloads[0])))
    assert wrapped["alert"]["candid"] == want["candid"]


def test_creates_a_missing_subscription_on_pitt_googles_topic(emulator: str, ztf_payloads):
    chan = new_channel(emulator, subscribe=False)
    topic_id = chan.topic.rsplit("/", 1)[1]
    env = pgb_env(emulator)
    args = ("pull", "my-own-sub-name", "--topic", topic_id, "--max", "3")
    with subprocess.Popen(pgb_command(*args), env=env, stdout=PIPE, stderr=PIPE) as pgb:
        subscription = f"http://{emulator}/v1/projects/{PROJECT}/subscriptions/my-own-sub-name"
        deadline = time.monotonic() + 30
        while httpx.get(subscription).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        chan.publish(ztf_payloads[:3])
        out, err = pgb.communicate(timeout=60)
    assert pgb.returncode == 0, err
    assert len(lines(out)) == 3
    created = [line for line in err.splitlines() if b"created subscription" in line]
    assert created == [
        f"pgb: created subscription projects/{PROJECT}/subscriptions/my-own-sub-name on "
        f"{chan.topic}: it gets what is published from now on; messages published before "
        "will never reach it".encode()
    ]
    assert httpx.get(subscription).json()["topic"] == chan.topic


def test_a_subscription_made_after_the_publishing_says_why_it_is_empty(emulator: str, ztf_payloads):
    # The README's first emulator recipe: publish, then `pgb pull` creates the subscription.
    chan = new_channel(emulator, subscribe=False)
    chan.publish(ztf_payloads[:3])
    topic_id = chan.topic.rsplit("/", 1)[1]
    done = run_pgb(emulator, "pull", "late-sub", "--topic", topic_id, "--until-empty")
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""  # what the message says: the three alerts never arrive
    [created] = [line for line in done.stderr.splitlines() if b"created subscription" in line]
    assert created.endswith(b"messages published before will never reach it")
    again = run_pgb(emulator, "pull", "late-sub", "--topic", topic_id, "--until-empty")
    assert again.returncode == 0 and b"created subscription" not in again.stderr


def test_a_corrupt_message_is_dead_lettered_and_the_stream_goes_on(
    channel: Channel, ztf_payloads, tmp_path
):
    corrupt = b"Obj\x01 this is not really an avro container"
    channel.publish(ztf_payloads[:2])
    [bad_id] = channel.publish([corrupt], {"note": "broken"})
    channel.publish(ztf_payloads[2:4])
    folder = tmp_path / "dead"
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, "--until-empty", "--dead-letter", str(folder)
    )
    assert done.returncode == 0, done.stderr
    assert len(lines(done.stdout)) == 4
    kept = folder / channel.subscription_id
    assert (kept / f"{bad_id}.bin").read_bytes() == corrupt
    details = orjson.loads((kept / f"{bad_id}.json").read_bytes())
    assert details["attributes"] == {"note": "broken"}
    assert "DecodeError" in details["error"]
    assert f"kept in {kept}".encode() in done.stderr
    assert channel.drain_ids() == []  # acked: it is in the folder, not lost


def test_no_project_is_a_usage_error(emulator: str):
    env = {k: v for k, v in pgb_env(emulator).items() if k != "GOOGLE_CLOUD_PROJECT"}
    done = subprocess.run(pgb_command("pull", "ztf-loop"), env=env, capture_output=True)
    assert done.returncode == 2
    assert done.stderr.startswith(b"pgb: no Google Cloud project")
    assert len(done.stderr.splitlines()) == 1


def test_missing_subscription_without_create_exits_4(emulator: str):
    done = run_pgb(emulator, "pull", "does-not-exist", "--no-create")
    assert done.returncode == 4
    assert (
        done.stderr
        == (
            f"pgb: projects/{PROJECT}/subscriptions/does-not-exist: subscription not found\n"
        ).encode()
    )


def test_subscription_on_a_missing_topic_exits_4(emulator: str):
    done = run_pgb(emulator, "pull", "orphan-sub", "--topic", "no-such-topic")
    assert done.returncode == 4
    assert done.stderr.decode() == (
        f"pgb: cannot use or create projects/{PROJECT}/subscriptions/orphan-sub: topic "
        "projects/ardent-cycling-243415/topics/no-such-topic does not exist (check the name, "
        "or pass --topic/--topic-project)\n"
    )


def test_unreachable_emulator_exits_7(emulator: str):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{sock.getsockname()[1]}"
    started = time.monotonic()
    done = run_pgb(
        emulator, "pull", "ztf-loop", "--give-up-after", "3", PUBSUB_EMULATOR_HOST=closed
    )
    assert done.returncode == 7
    assert 3 <= time.monotonic() - started < 15
    waiting, failed = done.stderr.decode().splitlines()  # one line as it waits, one at the end
    assert waiting.startswith(f"pgb: cannot reach {closed}") and waiting.endswith("up to 3 s")
    assert failed.startswith(f"pgb: cannot use or create projects/{PROJECT}")
    assert failed.endswith("(still failing after 3 s)")


def test_no_ack_looks_without_consuming(emulator: str, ztf_payloads):
    """Past the ack deadline too: held (leased) all along, so none comes twice in the run,
    and all of them are in the subscription afterwards."""
    chan = new_channel(emulator, ack_deadline=10)
    ids = chan.publish(ztf_payloads[:5])
    done = run_pgb(emulator, "pull", chan.subscription_id, "--no-ack", "--timeout", "25",
                   "--envelope", "--fields", "objectId")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(line["messageId"] for line in lines(done.stdout)) == sorted(ids)
    assert "0 acked, 5 returned" in done.stderr.decode()
    assert sorted(chan.drain_ids()) == sorted(ids)
