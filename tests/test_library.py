"""pgb from Python: ``pull()``, ``alerts()`` and ``fetch()`` honour every setting exactly
as ``pgb pull`` does, on the real Pub/Sub emulator."""

from __future__ import annotations

import io
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import fastavro
import orjson
import pytest

import pittgoogle_cli as pgb

from .conftest import PROJECT, Channel, new_channel, run_pgb

WHERE = "candidate.magpsf < 18"
FILTER_SOURCE = """
def tag(alert):
    return {**alert, "tagged": True} if alert["candidate"]["fid"] == 1 else None
"""


def settings_for(channel: Channel, **given: Any) -> pgb.PullSettings:
    given.setdefault("until_empty", True)
    return pgb.PullSettings(
        channel.subscription_id, project=PROJECT, emulator_host=channel.host, create=False, **given
    )


def object_id(payload: bytes) -> str:
    return str(next(fastavro.reader(io.BytesIO(payload)))["objectId"])


def cli_candids(channel: Channel, *args: str) -> list[int]:
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--no-create", *args)
    assert done.returncode == 0, done.stderr
    return sorted(orjson.loads(line)["candid"] for line in done.stdout.splitlines())


@pytest.fixture
def cuts(tmp_path: Path) -> str:
    (tmp_path / "cuts.py").write_text(FILTER_SOURCE)
    return f"{tmp_path / 'cuts.py'}:tag"


def test_pull_and_alerts_filter_exactly_as_the_cli_does(
    emulator: str, ztf_payloads, cuts, tmp_path: Path
):
    each = [new_channel(emulator) for _ in range(3)]
    for channel in each:
        channel.publish(ztf_payloads * 2)
    by_cli = cli_candids(each[0], "--until-empty", "--where", WHERE, "--filter", cuts)
    assert 0 < len(by_cli) < 2 * len(ztf_payloads)

    pulled = each[1]
    out = tmp_path / "bright.jsonl"
    outcome = pgb.pull_sync(settings_for(pulled, where=WHERE, filters=[cuts]), out=out)
    written = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(a["candid"] for a in written) == by_cli
    assert all(a["tagged"] for a in written)
    assert outcome.reason == "drained"
    assert outcome.counts.written == len(by_cli)
    assert outcome.counts.filtered == 2 * len(ztf_payloads) - len(by_cli)

    found = pgb.fetch(settings_for(each[2], where=WHERE, filters=[cuts]))
    assert sorted(a.candid for a in found) == by_cli
    for channel in each:
        assert channel.drain_ids() == []  # kept and filtered out alike were acked


def test_max_alerts_is_exact_in_pull_alerts_and_the_cli(
    emulator: str, ztf_payloads, tmp_path: Path
):
    each = [new_channel(emulator) for _ in range(3)]
    for channel in each:
        channel.publish(ztf_payloads * 3)  # 27
    assert len(cli_candids(each[0], "--max", "5")) == 5
    out = tmp_path / "alerts.sqlite"
    outcome = pgb.pull_sync(settings_for(each[1], max_alerts=5, until_empty=False), out=out)
    assert outcome.reason == "max" and outcome.counts.written == 5
    with sqlite3.connect(out) as db:
        assert db.execute("SELECT count(*) FROM alerts").fetchone() == (5,)
    assert len(pgb.fetch(settings_for(each[2], max_alerts=5, until_empty=False))) == 5
    for channel in each:
        assert len(channel.drain_ids()) == 27 - 5  # the rest returned at once


def test_timeout_stops_pull_alerts_and_the_cli_alike(channel: Channel):
    started = time.monotonic()
    done = run_pgb(channel.host, "pull", channel.subscription_id, "--no-create", "--timeout", "1")
    assert done.returncode == 0 and b"timeout: 0 written" in done.stderr
    outcome = pgb.pull_sync(settings_for(channel, timeout=1, until_empty=False))
    assert outcome.reason == "timeout"
    assert pgb.fetch(settings_for(channel, timeout=1, until_empty=False)) == []
    assert time.monotonic() - started < 30


def test_async_for_acks_each_alert_it_moved_past(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads)

    async def first_three() -> list[str]:
        seen = []
        async with aclosing(pgb.alerts(settings_for(channel))) as stream:
            async for alert in stream:
                seen.append(alert.object_id)
                if len(seen) == 3:
                    break
        return seen

    seen = anyio.run(first_three)
    assert len(seen) == 3 and set(seen) <= {object_id(p) for p in ztf_payloads}
    # The two it moved past are acked; the third and the rest are returned at once.
    assert len(channel.drain_ids()) == len(ztf_payloads) - 2


def test_a_loop_left_without_aclosing_loses_nothing(emulator: str, ztf_payloads):
    """Python closes an abandoned generator soon after (in a task of its own) while the
    event loop goes on; if the loop ends at once, the rest come back at their deadline."""
    short, quick = new_channel(emulator, ack_deadline=10), new_channel(emulator)
    short.publish(ztf_payloads)
    quick.publish(ztf_payloads)

    async def first(channel: Channel, then: float) -> str:
        found = [alert async for alert in _first_of(pgb.alerts(settings_for(channel)))]
        await anyio.sleep(then)  # the program goes on
        return str(found[0].object_id)

    anyio.run(first, quick, 1.0)
    assert len(quick.drain_ids()) == len(ztf_payloads)  # nacked at once: it was not moved past
    anyio.run(first, short, 0.0)
    assert short.drain_ids() == []  # still leased...
    time.sleep(11)
    assert len(short.drain_ids()) == len(ztf_payloads)  # ...and back after the deadline


async def _first_of(stream: AsyncIterator[pgb.Alert]) -> AsyncIterator[pgb.Alert]:
    async for alert in stream:  # left at once, and never closed
        yield alert
        return


def test_undecodable_messages_go_to_the_dead_letter_folder(channel: Channel, tmp_path: Path):
    channel.publish([b"\x00\x00\x00\x27\x10garbage", b'{"candid": 1, "objectId": "x"}'])
    found = pgb.fetch(settings_for(channel, dead_letter_dir=tmp_path))
    assert [a.record for a in found] == [{"candid": 1, "objectId": "x"}]
    kept = list((tmp_path / channel.subscription_id).glob("*.bin"))
    assert [p.read_bytes() for p in kept] == [b"\x00\x00\x00\x27\x10garbage"]
    assert channel.drain_ids() == []


def test_the_library_leaves_signals_to_the_application(emulator: str, ztf_payloads, tmp_path: Path):
    seen: list[object] = []

    def look(alert: dict[str, Any]) -> dict[str, Any]:
        seen.append(signal.getsignal(signal.SIGINT))
        return alert

    async def main(channel: Channel, handle: bool) -> object:
        before = signal.getsignal(signal.SIGINT)
        settings = settings_for(channel, filters=[look])
        await pgb.pull(settings, out=tmp_path / "seen.jsonl", handle_signals=handle)
        return before

    for handle in (False, True):
        channel = new_channel(emulator)
        channel.publish(ztf_payloads[:1])
        seen.clear()
        before = anyio.run(main, channel, handle)
        assert len(seen) == 1
        assert (seen[0] == before) is not handle  # only when asked does pgb take SIGINT


def test_fetch_needs_a_stop(channel: Channel):
    with pytest.raises(pgb.ConfigError, match="needs a stop"):
        pgb.fetch(settings_for(channel, until_empty=False))


class Collect:
    """A sink of the application's own (a TOM, a database): pgb acks what it returned."""

    def __init__(self) -> None:
        self.alerts: list[pgb.Alert] = []
        self.closed = False

    async def write(self, alerts: Sequence[pgb.Alert]) -> None:
        self.alerts.extend(alerts)

    async def aclose(self) -> None:
        self.closed = True


def test_pull_writes_to_a_sink_of_the_callers_own(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads)
    sink = Collect()
    outcome = pgb.pull_sync(settings_for(channel, lite=True), out=sink)
    assert sorted(a.object_id for a in sink.alerts) == sorted(map(object_id, ztf_payloads))
    assert outcome.counts.written == outcome.counts.acked == len(ztf_payloads)
    assert not sink.closed  # the caller's to close
    assert channel.drain_ids() == []


def test_workers_refuse_a_sink_of_the_callers_own(channel: Channel, ztf_payloads):
    """``--workers`` hand on JSON lines and a sink of the caller's takes whole alerts:
    refused, with nothing written or acked."""
    channel.publish(ztf_payloads[:3])
    sink = Collect()
    with pytest.raises(pgb.ConfigError, match="drop --workers"):
        pgb.pull_sync(settings_for(channel, workers=2), out=sink)
    assert sink.alerts == []
    assert len(channel.drain_ids()) == 3


def test_an_error_inside_a_running_pull_reaches_the_caller_as_itself(
    channel: Channel, ztf_payloads, tmp_path
):
    """A field the alerts do not have is found once they arrive, inside the pull's task
    groups: the caller's ``except ConfigError`` still catches it (not an ExceptionGroup),
    and what was pulled stays in the subscription."""
    channel.publish(ztf_payloads[:3])
    out = tmp_path / "x.jsonl"
    with pytest.raises(pgb.ConfigError, match=r"no field candidate\.nosuch") as caught:
        pgb.pull_sync(settings_for(channel, where="candidate.nosuch > 1"), out=out)
    assert type(caught.value) is pgb.ConfigError
    assert not out.exists() or out.read_bytes() == b""
    assert len(channel.drain_ids()) == 3


def test_a_broken_filter_reaches_the_caller_with_its_own_error_as_the_cause(
    channel: Channel, ztf_payloads
):
    channel.publish(ztf_payloads * 2)  # broken once it raised on each of the first 10

    def broken(alert: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("magnitude")

    with pytest.raises(pgb.FilterBroken, match="raised on each of the first 10") as caught:
        pgb.pull_sync(settings_for(channel, filters=[broken]))
    assert isinstance(caught.value.__cause__, KeyError)  # what --debug and the caller see


class Stop(BaseException):
    """Stands for a Ctrl-C or a cancel in the middle of fetch()."""


def test_fetch_acks_nothing_unless_it_returns_the_whole_list(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads)
    seen: list[int] = []

    def interrupted_at_the_fifth(alert: dict[str, Any]) -> dict[str, Any]:
        seen.append(alert["candid"])
        if len(seen) == 5:
            raise Stop
        return alert

    with pytest.raises(Stop):
        pgb.fetch(settings_for(channel, filters=[interrupted_at_the_fifth]))
    assert len(channel.drain_ids()) == len(ztf_payloads)  # the four before it too


def test_settings_out_of_range_are_config_errors(channel: Channel):
    for bad in ({"max_alerts": 0}, {"concurrency": 0}, {"timeout": -1}, {"empty_wait": -1}):
        with pytest.raises(pgb.ConfigError):
            settings_for(channel, **bad)


def test_alerts_and_fetch_refuse_shapes_they_would_ignore(channel: Channel):
    for given in ({"lite": True}, {"out": "x.jsonl"}, {"cutouts": "drop"}, {"format": "tom"}):
        with pytest.raises(pgb.ConfigError, match="hand out whole alerts"):
            pgb.fetch(settings_for(channel, **given))


def test_held_alerts_are_acked_only_when_the_caller_says(channel: Channel, ztf_payloads):
    published = channel.publish(ztf_payloads[:6])
    with pgb.HeldAlerts(settings_for(channel, max_alerts=6)) as held:
        assert sorted(a.message_id for a in held.alerts) == sorted(published)
        done = held.alerts[:2]
        held.ack(done)
        held.ack(done)  # twice is once
        assert held.unacked == 4
    # The four not acked are back at once (not after their deadline), the two are gone.
    back = channel.drain_ids()
    assert sorted(back) == sorted(set(published) - {a.message_id for a in done})


def test_held_alerts_returned_whole_when_the_callers_work_fails(channel: Channel, ztf_payloads):
    published = channel.publish(ztf_payloads[:3])
    with pytest.raises(RuntimeError), pgb.HeldAlerts(settings_for(channel, max_alerts=3)):
        raise RuntimeError("the database refused")
    assert sorted(channel.drain_ids()) == sorted(published)
    with pytest.raises(pgb.ConfigError, match="needs a stop"):
        pgb.HeldAlerts(settings_for(channel, until_empty=False))


def test_subscriptions_from_python_see_what_pull_created(channel: Channel):
    """``pgb.subscriptions``: the same calls as ``pgb subscription``, from a notebook."""
    from pittgoogle_cli.pubsub.admin import subscription_body
    from pittgoogle_cli.pubsub.rest import subscription_name, topic_name

    async def main() -> tuple[list[str], Any]:
        async with pgb.subscriptions(PROJECT, emulator_host=channel.host) as admin:
            made = await admin.create(
                subscription_name(f"{channel.subscription_id}-kept", PROJECT),
                subscription_body(topic_name(channel.topic), retain_acked=True),
            )
            names = [s.name async for s in admin.subscriptions()]
            await admin.delete(subscription_name(made.id, PROJECT))
            return names, made

    names, made = anyio.run(main)
    assert channel.subscription in names and made.name in names
    assert made.retain_acked_messages and made.topic == channel.topic
