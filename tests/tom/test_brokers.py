"""The old module's three brokers through tom_alerts' own views: a saved query runs, its
page shows the alerts (acked once cached), and "create target" on a fresh broker instance
makes the target with its photometry."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest
from django.urls import reverse
from tom_alerts.models import BrokerQuery
from tom_dataproducts.models import PhotometryReducedDatum
from tom_targets.models import Target

from pittgoogle_cli.packets.photometry import points

from ..conftest import new_channel

pytestmark = pytest.mark.django_db


def saved_query(browser: Any, broker: str, **fields: Any) -> BrokerQuery:
    form = {"broker": broker, "query_name": f"{broker} query", **fields}
    done = browser.post(reverse("tom_alerts:create"), form)
    assert done.status_code == 302, done.content.decode()[:3000]
    return BrokerQuery.objects.get(name=f"{broker} query")


def create_target(browser: Any, broker: str, query: BrokerQuery, alert_id: int) -> Any:
    return browser.post(
        reverse("tom_alerts:create-target"),
        {"query_id": query.pk, "broker": broker, "alerts": [str(alert_id)]},
    )


@pytest.mark.parametrize("broker", ["Pitt-Google stream rest", "Pitt-Google stream python"])
def test_stream_brokers_show_and_ack_the_alerts(tom, browser, emulator, ztf_payloads, broker):
    chan = new_channel(emulator)
    chan.publish(ztf_payloads)
    query = saved_query(
        browser, broker, subscription_name=chan.subscription_id, max_results=100, timeout=5,
        classtar_gt_lt="lt",
    )  # fmt: skip
    page = browser.get(reverse("tom_alerts:run", kwargs={"pk": query.pk}))
    assert page.status_code == 200 and page.context["broker_feedback"] == ""
    records = [next(fastavro.reader(io.BytesIO(p))) for p in ztf_payloads]
    assert sorted(a.id for a in page.context["alerts"]) == sorted(r["candid"] for r in records)
    assert chan.drain_ids() == []  # each shown alert acked

    first = records[0]
    assert create_target(browser, broker, query, first["candid"]).status_code == 302
    target = Target.objects.get(name=first["objectId"])
    stored = PhotometryReducedDatum.objects.filter(target=target).count()
    assert stored == len({p.key for p in points(first)}) > 0


def test_the_classtar_cut_of_the_old_form(tom, browser, emulator, ztf_payloads):
    chan = new_channel(emulator)
    chan.publish(ztf_payloads)
    records = [next(fastavro.reader(io.BytesIO(p))) for p in ztf_payloads]
    scores = sorted(r["candidate"]["classtar"] for r in records)
    threshold = scores[len(scores) // 2]  # about half on each side
    query = saved_query(
        browser, "Pitt-Google stream rest", subscription_name=chan.subscription_id,
        max_results=100, timeout=5, classtar_threshold=threshold, classtar_gt_lt="lt",
    )  # fmt: skip
    page = browser.get(reverse("tom_alerts:run", kwargs={"pk": query.pk}))
    kept = {r["candid"] for r in records if r["candidate"]["classtar"] < threshold}
    assert {a.id for a in page.context["alerts"]} == kept
    assert 0 < len(kept) < len(records)
    assert chan.drain_ids() == []  # the alerts cut are acked too: looked at, not wanted


def test_the_database_broker_by_object(tom_bq, browser):
    name = "ZTF17aaarzyp"
    query = saved_query(browser, "Pitt-Google database python", objectId=name, max_results=10)
    page = browser.get(reverse("tom_alerts:run", kwargs={"pk": query.pk}))
    assert page.context["broker_feedback"] == ""
    shown = page.context["alerts"]
    assert [a.name for a in shown] == [name] * len(tom_bq.by_object(name))
    assert (
        create_target(browser, "Pitt-Google database python", query, shown[0].id).status_code == 302
    )
    assert PhotometryReducedDatum.objects.filter(target__name=name).count() > 0


def test_broker_errors_are_feedback(settings, browser, tmp_path, monkeypatch):
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)
    settings.PITTGOOGLE = {"project": "p", "credentials": str(tmp_path / "missing-key.json")}
    query = saved_query(browser, "Pitt-Google stream rest", max_results=5, timeout=2)
    page = browser.get(reverse("tom_alerts:run", kwargs={"pk": query.pk}))
    assert page.status_code == 200 and list(page.context["alerts"]) == []
    assert "missing-key.json" in page.context["broker_feedback"]
