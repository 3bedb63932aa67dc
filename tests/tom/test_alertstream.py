"""The live stream into the TOM (tom_alertstreams' AlertStream), on the Pub/Sub emulator:
every alert stored with its photometry and acked after its transaction; a redelivered
alert adds nothing; a failing handler acks nothing."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import fastavro
import pytest
from tom_dataproducts.models import PhotometryReducedDatum
from tom_targets.models import Target

from pittgoogle_cli.packets.photometry import points
from pittgoogle_cli.tom_toolkit.alertstream import PittGoogleAlertStream

from ..conftest import new_channel

pytestmark = pytest.mark.django_db(transaction=True)


def records(payloads: list[bytes]) -> list[dict]:
    return [next(fastavro.reader(io.BytesIO(p))) for p in payloads]


def test_each_alert_stored_once_and_acked(tom, emulator, ztf_payloads):
    chan = new_channel(emulator)
    chan.publish(ztf_payloads)
    stream = PittGoogleAlertStream(SUBSCRIPTION=chan.subscription_id, MAX_ALERTS=len(ztf_payloads))
    started = time.monotonic()
    stream.listen()
    elapsed = time.monotonic() - started
    assert stream.handled == len(ztf_payloads)
    assert chan.drain_ids() == []
    alerts = records(ztf_payloads)
    assert set(Target.objects.values_list("name", flat=True)) == {r["objectId"] for r in alerts}
    expected = {(r["objectId"], *p.key) for r in alerts for p in points(r)}
    assert PhotometryReducedDatum.objects.count() == len(expected)
    print(f"stored {len(ztf_payloads)} alerts in {elapsed:.2f} s")

    # The same alerts again (a redelivery after a crash, say): nothing new.
    chan.publish(ztf_payloads)
    again = PittGoogleAlertStream(SUBSCRIPTION=chan.subscription_id, MAX_ALERTS=len(ztf_payloads))
    again.listen()
    assert Target.objects.count() == len({r["objectId"] for r in alerts})
    assert PhotometryReducedDatum.objects.count() == len(expected)
    assert chan.drain_ids() == []


def refuse(alert: Any) -> None:
    raise RuntimeError("the handler's database is down")


def test_a_failing_handler_acks_nothing(tom, emulator, ztf_payloads):
    chan = new_channel(emulator, ack_deadline=10)
    published = chan.publish(ztf_payloads[:3])
    stream = PittGoogleAlertStream(
        SUBSCRIPTION=chan.subscription_id,
        TOPIC_HANDLERS={"*": "tests.tom.test_alertstream.refuse"},
    )
    runner = threading.Thread(target=stream.listen)
    runner.start()
    time.sleep(3)
    stream.stop()
    runner.join(15)
    assert not runner.is_alive() and stream.handled == 0
    assert Target.objects.count() == 0
    time.sleep(8)  # the deadline of what the failing handler left
    assert sorted(chan.drain_ids()) == sorted(published)  # all there, none acked
