"""``pgb subscription`` and ``pgb topics`` against the real Pub/Sub emulator: what a user
lists, creates, replays and deletes, checked by pulling afterwards. Each test has a project
of its own, so a listing holds only what the test made."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timezone

import orjson
import pytest

from pittgoogle_cli.emulator import create_topic, publish
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT

from .conftest import run_pgb

_projects = itertools.count()


@pytest.fixture
def project() -> str:
    return f"pgb-admin-{next(_projects)}-{int(time.time() * 1000) % 10**6}"


def pgb(emulator: str, project: str, *args: str) -> tuple[int, str, str]:
    done = run_pgb(emulator, *args, GOOGLE_CLOUD_PROJECT=project)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def topic(emulator: str, name: str) -> str:
    full = f"projects/{PITT_GOOGLE_PROJECT}/topics/{name}"
    create_topic(emulator, full)
    return full


def listing(emulator: str, project: str) -> list[dict]:
    code, out, err = pgb(emulator, project, "subscription", "list", "--json")
    assert code == 0, err
    return [orjson.loads(line) for line in out.splitlines()]


def pulled(emulator: str, project: str, name: str) -> list[str]:
    code, out, err = pgb(emulator, project, "pull", name, "--until-empty", "--format", "jsonl",
                         "--no-create", "--envelope", "-q")  # fmt: skip
    assert code == 0, err
    return [orjson.loads(line)["alert"] for line in out.splitlines()]


def test_topics_lists_pitt_googles_streams_without_a_call(tmp_path):
    done = run_pgb("127.0.0.1:1", "topics")  # nothing listens there
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert lines[0].split() == ["TOPIC", "SURVEY", "WHAT", "IT", "CARRIES"]
    names = {line.split()[0] for line in lines[1:]}
    assert {"ztf-loop", "ztf-alerts", "ztf-lite", "ztf-tagged", "ztf-SuperNNova"} <= names
    as_json = [
        orjson.loads(x) for x in run_pgb("127.0.0.1:1", "topics", "--json").stdout.splitlines()
    ]
    assert {t["name"] for t in as_json} == names
    assert {t["project"] for t in as_json} == {PITT_GOOGLE_PROJECT}


def test_create_list_delete_round_trip(emulator, project):
    topic(emulator, "ztf-lite")
    code, out, err = pgb(emulator, project, "subscription", "create", "mine", "--topic", "ztf-lite",
                         "--ack-deadline", "30", "--retention", "1d", "--retain-acked",
                         "--expiration", "never", "--filter", 'attributes.band = "r"')  # fmt: skip
    assert code == 0 and out == "", err
    assert err.strip() == f"pgb: created projects/{project}/subscriptions/mine on " \
        f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-lite"  # fmt: skip
    code, _, err = pgb(emulator, project, "subscription", "create", "plain", "--topic", "ztf-lite")
    assert code == 0, err

    found = {s["name"].rsplit("/", 1)[1]: s for s in listing(emulator, project)}
    assert set(found) == {"mine", "plain"}
    mine = found["mine"]
    assert mine["topic"] == f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-lite"
    assert mine["ackDeadlineSeconds"] == 30
    assert mine["retentionSeconds"] == 86400
    assert mine["retainAckedMessages"] is True
    assert mine["expiresAfterSeconds"] == 0  # never
    # Stored as given; Pub/Sub applies it (the emulator stores it but delivers everything).
    assert mine["filter"] == 'attributes.band = "r"'
    assert found["plain"]["retainAckedMessages"] is False and found["plain"]["filter"] == ""

    code, out, err = pgb(emulator, project, "subscription", "list")
    assert code == 0
    table = out.splitlines()
    assert table[0].split() == ["NAME", "TOPIC", "ACK", "RETENTION", "RETAIN-ACKED", "EXPIRES",
                                "FILTER"]  # fmt: skip
    assert table[1].split()[:6] == ["mine", "ztf-lite", "30s", "1d", "yes", "never"]

    assert pgb(emulator, project, "subscription", "delete", "mine")[0] == 0
    assert [s["name"].rsplit("/", 1)[1] for s in listing(emulator, project)] == ["plain"]
    assert pgb(emulator, project, "subscription", "delete", "plain")[0] == 0
    code, out, err = pgb(emulator, project, "subscription", "list")
    assert (code, out) == (0, "") and "no subscriptions" in err


def test_seek_replays_what_was_acked_when_acks_are_retained(emulator, project):
    full = topic(emulator, "ztf-alerts")
    assert pgb(emulator, project, "subscription", "create", "kept", "--topic", "ztf-alerts",
               "--retain-acked", "--retention", "1h")[0] == 0  # fmt: skip
    assert (
        pgb(emulator, project, "subscription", "create", "forgot", "--topic", "ztf-alerts")[0] == 0
    )
    before = datetime.now(timezone.utc).replace(microsecond=0)
    time.sleep(1.1)
    payloads = [orjson.dumps({"n": n}) for n in range(5)]
    publish(emulator, full, payloads)
    for name in ("kept", "forgot"):
        assert len(pulled(emulator, project, name)) == 5  # written, acked
        assert pulled(emulator, project, name) == []

    stamp = before.isoformat().replace("+00:00", "Z")
    code, _, err = pgb(emulator, project, "subscription", "seek", "kept", "--time", stamp)
    assert code == 0 and "does not retain" not in err, err
    assert sorted(n["n"] for n in pulled(emulator, project, "kept")) == list(range(5))

    code, _, err = pgb(emulator, project, "subscription", "seek", "forgot", "--time", stamp)
    assert code == 0 and "forgot does not retain acked alerts" in err
    assert pulled(emulator, project, "forgot") == []


def test_snapshot_round_trip(emulator, project):
    full = topic(emulator, "ztf-loop")
    assert pgb(emulator, project, "subscription", "create", "loop", "--topic", "ztf-loop")[0] == 0
    publish(emulator, full, [orjson.dumps({"n": n}) for n in range(3)])
    code, _, err = pgb(emulator, project, "subscription", "snapshot", "create", "before-run",
                       "--subscription", "loop")  # fmt: skip
    assert code == 0 and f"projects/{project}/snapshots/before-run" in err, err
    code, out, _ = pgb(emulator, project, "subscription", "snapshot", "list", "--json")
    snaps = [orjson.loads(line) for line in out.splitlines()]
    assert [s["name"] for s in snaps] == [f"projects/{project}/snapshots/before-run"]
    assert snaps[0]["topic"] == full

    assert len(pulled(emulator, project, "loop")) == 3
    code, _, err = pgb(
        emulator, project, "subscription", "seek", "loop", "--snapshot", "before-run"
    )
    assert code == 0, err
    assert sorted(n["n"] for n in pulled(emulator, project, "loop")) == [0, 1, 2]

    assert pgb(emulator, project, "subscription", "snapshot", "delete", "before-run")[0] == 0
    code, out, err = pgb(emulator, project, "subscription", "snapshot", "list")
    assert (code, out) == (0, "") and "no snapshots" in err


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["create", "x-sub", "--retention", "a week"], 2, "'a week' is not a duration"),
        (["create", "x-sub", "--retention", "1m"], 2, "retention must be between 600"),
        (["create", "x-sub", "--expiration", "1h"], 2, "expiration must be 0 (never) or at least"),
        (["create", "x-sub", "--topic", "no-such-topic"], 4, "topic projects/"),
        (["delete", "no-such-sub"], 4, "pgb: "),
        (["seek", "no-such-sub", "--time", "2026-12-01T00:00:00Z"], 4, "pgb: "),
        (["seek", "x-sub"], 2, "a seek needs a time or a snapshot"),
    ],
)
def test_mistakes_are_one_line_and_an_exit_code(emulator, project, args, code, says):
    topic(emulator, "x-sub")
    if args[0] == "seek" and args[1] == "x-sub":
        assert pgb(emulator, project, "subscription", "create", "x-sub")[0] == 0
    done_code, out, err = pgb(emulator, project, "subscription", *args)
    assert (done_code, out) == (code, ""), err
    assert err.startswith("pgb: ") and says in err and len(err.strip().splitlines()) == 1, err
