"""The stream data service through the TOM's own views, on the real Pub/Sub emulator:
create a query, run it, create targets from what it shows; photometry counted against
the alerts' own detections and limits; everything shown is acked, nothing else."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest
from django.urls import reverse
from tom_dataproducts.models import PhotometryReducedDatum
from tom_targets.models import Target

from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.photometry import points

from ..conftest import DATA, Channel, new_channel

SERVICE = "Pitt-Google stream"
pytestmark = pytest.mark.django_db


def run_query(browser: Any, **fields: Any) -> Any:
    form = {"data_service": SERVICE, "query_name": "", "timeout": 5, "max_results": 100}
    form.update(fields)
    created = browser.post(reverse("dataservices:create"), form)
    assert created.status_code == 302, created.content.decode()[:2000]
    return browser.get(reverse("dataservices:run"))


def records(payloads: list[bytes]) -> list[dict]:
    return [next(fastavro.reader(io.BytesIO(p))) for p in payloads]


def test_query_shows_each_object_and_acks_what_it_showed(tom, browser, emulator, ztf_payloads):
    chan: Channel = new_channel(emulator)
    chan.publish(ztf_payloads)
    page = run_query(browser, subscription_name=chan.subscription_id)
    assert page.status_code == 200
    shown = page.context["results"]
    names = {r["objectId"] for r in records(ztf_payloads)}
    assert {row["name"] for row in shown} == names
    assert page.context["query_feedback"] == ""
    assert chan.drain_ids() == []  # all shown, all acked

    # Create a target from each row: its photometry is the alerts' detections and limits.
    made = browser.post(
        reverse("dataservices:create-target"),
        {"query_id": "", "data_service": SERVICE,
         "selected_results": [str(row["id"]) for row in shown]},
    )  # fmt: skip
    assert made.status_code == 302
    assert set(Target.objects.values_list("name", flat=True)) == names
    for name in names:
        mine = [r for r in records(ztf_payloads) if r["objectId"] == name]
        expected = {point.key: point for r in mine for point in points(r)}
        stored = PhotometryReducedDatum.objects.filter(target__name=name)
        assert stored.count() == len(expected) > 0
        limits = sum(point.is_limit for point in expected.values())
        assert stored.filter(limit__isnull=False).count() == limits


def test_an_empty_stream_returns_within_its_timeout(tom, browser, emulator):
    import time

    chan = new_channel(emulator)
    started = time.monotonic()
    page = run_query(browser, subscription_name=chan.subscription_id, timeout=3)
    assert page.status_code == 200 and page.context["results"] == []
    assert time.monotonic() - started < 8


def test_a_misspelt_where_is_a_form_error_naming_the_field(tom, browser, emulator):
    chan = new_channel(emulator)
    created = browser.post(
        reverse("dataservices:create"),
        {"data_service": SERVICE, "subscription_name": chan.subscription_id,
         "where": "candidate.magpfs < 18"},
    )  # fmt: skip
    assert created.status_code == 200  # the form again, with its error
    assert "did you mean candidate.magpsf?" in created.content.decode()


def test_missing_credentials_are_feedback_not_a_500(settings, browser, monkeypatch, tmp_path):
    settings.PITTGOOGLE = {"project": "some-project", "credentials": str(tmp_path / "nokey.json")}
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)
    page = run_query(browser, subscription_name="ztf-loop")
    assert page.status_code == 200
    assert "nokey.json" in page.context["query_feedback"]
    assert page.context["results"] == []


def test_lsst_alerts_become_targets_with_ab_magnitudes(tom, browser, emulator):
    """Rubin's wire format (0x00, schema id, Avro) and its containers, through the views."""
    files = sorted((DATA / "lsst").glob("*.avro"))
    decoded = [record for f in files for record, _ in Decoder().decode_all(f.read_bytes())]
    chan = new_channel(emulator)
    chan.publish([f.read_bytes() for f in files])
    page = run_query(browser, subscription_name=chan.subscription_id)
    assert page.context["query_feedback"] == ""
    shown = page.context["results"]
    by_name: dict[str, dict] = {}
    for record in decoded:
        obj = (record.get("diaObject") or {}).get("diaObjectId")
        name = f"LSST-DIA-{obj or record['diaSource']['diaObjectId']}"
        by_name.setdefault(name, {}).update({p.key: p for p in points(record, "lsst")})
    assert {row["name"] for row in shown} == set(by_name)
    assert sum(map(len, by_name.values())) > 0
    assert {row["survey"] for row in shown} == {"LSST"}
    assert chan.drain_ids() == []

    made = browser.post(
        reverse("dataservices:create-target"),
        {"query_id": "", "data_service": SERVICE,
         "selected_results": [str(row["id"]) for row in shown]},
    )  # fmt: skip
    assert made.status_code == 302
    for name, expected in by_name.items():
        stored = PhotometryReducedDatum.objects.filter(target__name=name)
        assert stored.count() == len(expected)
        assert stored.filter(limit__isnull=False).count() == sum(
            p.is_limit for p in expected.values()
        )
        for datum in stored.filter(limit__isnull=True):
            assert 10 < datum.brightness < 35  # AB magnitudes, not nJy
