"""pgb from Python: ``async with open_stream(...)`` and ``async for alert in alerts(...)``."""

from __future__ import annotations

import io

import anyio
import fastavro

from pittgoogle_cli import PullSettings, alerts, open_stream

from .conftest import PROJECT, Channel


def test_async_for_over_alerts_acks_each_one_it_moved_past(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads)
    settings = PullSettings(
        channel.subscription_id,
        project=PROJECT,
        emulator_host=channel.host,
        until_empty=True,
        create=False,
    )

    async def first_three() -> list[str]:
        seen = []
        async with open_stream(settings) as stream:
            async for alert in alerts(stream):
                seen.append(alert.object_id)
                if len(seen) == 3:
                    break
        return seen

    seen = anyio.run(first_three)
    want = {next(fastavro.reader(io.BytesIO(p)))["objectId"] for p in ztf_payloads}
    assert len(seen) == 3 and set(seen) <= want
    # The two it moved past are acked; the third (its body may not have finished) and
    # the rest are returned at once.
    assert len(channel.drain_ids()) == len(ztf_payloads) - 2

    channel.publish(ztf_payloads)

    async def everything() -> int:
        async with open_stream(settings) as stream:
            return len([alert async for alert in alerts(stream)])

    assert anyio.run(everything) == len(ztf_payloads)
    assert channel.drain_ids() == []
