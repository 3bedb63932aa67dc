"""An idle stream, as Pub/Sub sees it: one puller polls alone while nothing comes, and
the others join in at once when something does."""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from pittgoogle_cli.google.gate import ReadGate
from pittgoogle_cli.pubsub.holding import StreamOptions
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
