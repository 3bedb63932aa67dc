"""The benchmark's replay server (bench/replay) behaves like Pub/Sub where clients can
tell: pgb drains what it holds, each alert exactly once; what is not acked comes back
(after its deadline, or at once when nacked); the REST peers drain it too."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import httpx
import orjson
import pytest

from bench.replay import ReplayServer

from .conftest import PROJECT, ZTF_FILES, pgb_env, run_pgb

_names = count()


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    server = ReplayServer(log=tmp_path_factory.mktemp("replay") / "replay.log")
    with server:
        yield server


def _load(server: ReplayServer, alerts: int, ack_deadline: int = 60) -> tuple[str, str]:
    sub_id = f"replay-{next(_names)}"
    server.load(f"projects/{PROJECT}/subscriptions/{sub_id}", alerts, ack_deadline)
    return sub_id, f"projects/{PROJECT}/subscriptions/{sub_id}"


def _expected_candids(alerts: int) -> Counter[int]:
    """Message i carries shipped alert i % 9, as the server cycles them."""
    import fastavro

    candids = []
    for path in ZTF_FILES:
        with path.open("rb") as handle:
            candids.append(next(fastavro.reader(handle))["candid"])
    return Counter(candids[i % len(candids)] for i in range(alerts))


def _pull(server: ReplayServer, sub: str, n: int, **body: object) -> list[dict[str, object]]:
    reply = httpx.post(
        f"http://{server.host}/v1/{sub}:pull", json={"maxMessages": n, **body}, timeout=30
    )
    reply.raise_for_status()
    received: list[dict[str, object]] = reply.json().get("receivedMessages", [])
    return received


def _ids(received: list[dict[str, object]]) -> list[str]:
    return [m["message"]["messageId"] for m in received]  # type: ignore[index]


def test_pgb_pulls_every_alert_exactly_once(replay: ReplayServer):
    sub_id, sub = _load(replay, 230)  # three pulls of 100, the last short
    done = run_pgb(replay.host, "pull", sub_id, "--until-empty", "-q")
    assert done.returncode == 0, done.stderr.decode()
    alerts = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert Counter(a["candid"] for a in alerts) == _expected_candids(230)
    stats = replay.stats(sub)
    assert (stats["delivered"], stats["acked"], stats["redelivered"]) == (230, 230, 0)
    assert stats["duplicate_acks"] == stats["late_acks"] == 0 and stats["done"]


def test_what_pgb_does_not_ack_comes_back_to_the_next_pull(replay: ReplayServer):
    sub_id, sub = _load(replay, 40)
    looked = run_pgb(replay.host, "pull", sub_id, "--max", "15", "--no-ack", "-q")
    assert looked.returncode == 0, looked.stderr.decode()
    assert len(looked.stdout.splitlines()) == 15
    assert replay.stats(sub)["acked"] == 0
    drained = run_pgb(replay.host, "pull", sub_id, "--until-empty", "-q")
    assert drained.returncode == 0, drained.stderr.decode()
    alerts = [orjson.loads(line) for line in drained.stdout.splitlines()]
    assert Counter(a["candid"] for a in alerts) == _expected_candids(40)
    stats = replay.stats(sub)
    assert stats["nacked"] >= 15 and stats["redelivered"] >= 15
    assert stats["acked"] == 40 and stats["duplicate_acks"] == 0


def test_an_unacked_message_comes_back_after_its_deadline_with_a_new_ack_id(
    replay: ReplayServer,
):
    _, sub = _load(replay, 3, ack_deadline=1)
    first = _pull(replay, sub, 5, returnImmediately=True)
    assert _ids(first) == ["1", "2", "3"]
    assert _pull(replay, sub, 5, returnImmediately=True) == []  # all three are leased
    # A pull that may wait is answered once a lease runs out, with those messages again.
    again = _pull(replay, sub, 5)
    assert sorted(_ids(again)) == ["1", "2", "3"]
    assert {m["ackId"] for m in again}.isdisjoint(m["ackId"] for m in first)
    # The first delivery's ackIds are stale: acking with them acks nothing.
    late = {"ackIds": [m["ackId"] for m in first]}
    httpx.post(f"http://{replay.host}/v1/{sub}:acknowledge", json=late).raise_for_status()
    stats = replay.stats(sub)
    assert (stats["acked"], stats["late_acks"], stats["redelivered"]) == (0, 3, 3)


def test_a_nack_redelivers_at_once_and_an_extension_keeps_the_lease(replay: ReplayServer):
    _, sub = _load(replay, 2, ack_deadline=1)
    received = _pull(replay, sub, 2, returnImmediately=True)
    base = f"http://{replay.host}/v1/{sub}"
    nack = {"ackIds": [received[0]["ackId"]], "ackDeadlineSeconds": 0}
    extend = {"ackIds": [received[1]["ackId"]], "ackDeadlineSeconds": 600}
    httpx.post(f"{base}:modifyAckDeadline", json=nack).raise_for_status()
    httpx.post(f"{base}:modifyAckDeadline", json=extend).raise_for_status()
    time.sleep(1.5)  # past the first deadline: the extended lease must still hold
    assert _ids(_pull(replay, sub, 5, returnImmediately=True)) == ["1"]
    assert _ids(_pull(replay, sub, 5, returnImmediately=True)) == []


def test_it_answers_errors_as_the_emulator_does(replay: ReplayServer):
    _, sub = _load(replay, 1)
    base = f"http://{replay.host}/v1"
    missing = httpx.get(f"{base}/projects/{PROJECT}/subscriptions/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"
    no_max = httpx.post(f"{base}/{sub}:pull", json={"returnImmediately": True})
    assert no_max.status_code == 400
    bad_ack = httpx.post(f"{base}/{sub}:acknowledge", json={"ackIds": ["garbage"]})
    assert bad_ack.status_code == 400
    assert httpx.get(f"{base}/{sub}").json()["ackDeadlineSeconds"] == 60


@pytest.mark.parametrize(
    "peer",
    [
        ["bench.httpx_peer"],
        ["bench.aio_peer"],
        ["bench.aio_peer", "--mode", "pull", "--tasks", "2"],
    ],
)
def test_the_rest_peers_drain_it(replay: ReplayServer, peer: list[str], tmp_path: Path):
    import subprocess

    sub_id, sub = _load(replay, 120)
    out = tmp_path / "out.jsonl"
    argv = [sys.executable, "-m", peer[0], sub_id, "--alerts", "120", "--out", str(out)]
    done = subprocess.run(
        [*argv, *peer[1:]], env=pgb_env(replay.host), capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    alerts = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert Counter(a["candid"] for a in alerts) == _expected_candids(120)
    stats = replay.stats(sub)
    assert stats["acked"] == 120 and stats["delivered"] == 120
