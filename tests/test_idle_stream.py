"""An idle stream, as Pub/Sub sees it: one puller polls alone while nothing comes, and
the others join in at once when something does."""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio

from pittgoogle_cli.google.gate import ReadGate
from pittgoogle_cli.pubsub.holding import QuietClock, StreamOptions
from pittgoogle_cli.pubsub.rest import ReceivedMessage, subscription_name
from pittgoogle_cli.pubsub.stream import AlertStream
from pittgoogle_cli.pubsub.subscriber import Subscriber, pubsub_client

from .conftest import Channel


@dataclass(frozen=True)
class Pull:
    at: float
    task: int
    got: int


class RecordingSubscriber(Subscriber):
    """The real subscriber on the emulator, noting which task made each pull."""

    pulls: list[Pull]

    async def pull(
        self,
        max_messages: int = 100,
        *,
        return_immediately: bool = True,
        gate: ReadGate | None = None,
    ) -> list[ReceivedMessage]:
        task = anyio.get_current_task().id
        got = await super().pull(max_messages, return_immediately=return_immediately, gate=gate)
        self.pulls.append(Pull(anyio.current_time(), task, len(got)))
        return got


def test_one_puller_polls_an_idle_stream_and_the_rest_join_when_alerts_come(
    channel: Channel, ztf_payloads
):
    client = pubsub_client(channel.host)
    sub = RecordingSubscriber(client, subscription_name(channel.subscription, None))
    sub.pulls = []
    published: list[str] = []
    received: list[str] = []

    async def main() -> tuple[float, float]:
        try:
            async with AlertStream(sub, StreamOptions(concurrency=4)) as stream:
                await anyio.sleep(3.0)  # nothing published: idle
                idle_from, idle_to = anyio.current_time() - 2.0, anyio.current_time()
                published.extend(await anyio.to_thread.run_sync(channel.publish, ztf_payloads * 30))
                while len(received) < len(published):  # 270 alerts: several pulls' worth
                    with anyio.fail_after(60):
                        batch = await stream.next_batch()
                    assert batch is not None
                    received.extend(m.message.message_id for m in batch)
                    stream.ack([m.ack_id for m in batch])
                return idle_from, idle_to
        finally:
            await client.aclose()

    idle_from, idle_to = anyio.run(main)
    assert sorted(received) == sorted(published)
    idle = [p for p in sub.pulls if idle_from <= p.at <= idle_to]
    assert idle and all(p.got == 0 for p in idle)
    assert len({p.task for p in idle}) == 1  # the other three are parked
    busy = {p.task for p in sub.pulls if p.at > idle_to and p.got}
    assert len(busy) > 1  # they joined in
    assert channel.drain_ids() == []


def test_a_stop_while_idle_wakes_the_parked_pullers(channel: Channel):
    """--max, --timeout or Ctrl-C on an idle stream: the parked pullers end at once, the
    stream does not wait out its 10 s grace for pulls in flight."""
    client = pubsub_client(channel.host)
    sub = RecordingSubscriber(client, subscription_name(channel.subscription, None))
    sub.pulls = []

    async def main() -> float:
        try:
            async with AlertStream(sub, StreamOptions(concurrency=4)) as stream:
                await anyio.sleep(2.0)  # idle: three pullers parked
                stream.stop()
                stopped = anyio.current_time()
                with anyio.fail_after(5):  # a parked puller left waiting: no end at all
                    assert await stream.next_batch() is None
            return anyio.current_time() - stopped
        finally:
            await client.aclose()

    closing = anyio.run(main)
    assert closing < 5.0  # the close grace is 10 s; a poll is 0.2 s
    assert len({p.task for p in sub.pulls}) == 4  # all four had pulled before parking


def test_the_lone_puller_never_polls_more_often_than_all_pullers_did():
    """Each puller waited 0.5 s after an empty pull: one alone every 0.2 s is fewer pulls
    for four, but would be more for one or two."""

    def idle_backoff(concurrency: int) -> float:
        clock = QuietClock(StreamOptions(concurrency=concurrency))
        while not clock.idle:
            clock.empty(time.monotonic())
        return clock.backoff()

    assert [idle_backoff(n) for n in (1, 2, 4, 8)] == [0.5, 0.25, 0.2, 0.2]
