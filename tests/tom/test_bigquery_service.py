"""The BigQuery data service through the TOM's own views, on the BigQuery emulator holding
Pitt-Google's alerts table filled with the shipped alerts."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import respx
from django.urls import reverse
from tom_dataproducts.models import PhotometryReducedDatum
from tom_targets.models import Target

from pittgoogle_cli.packets.photometry import points

SERVICE = "Pitt-Google BigQuery"
pytestmark = pytest.mark.django_db


def run_query(browser: Any, **fields: Any) -> Any:
    form = {"data_service": SERVICE, "query_name": "", "max_results": 100, **fields}
    created = browser.post(reverse("dataservices:create"), form)
    assert created.status_code == 302, created.content.decode()[:3000]
    return browser.get(reverse("dataservices:run"))


def expected_points(alerts: list[dict]) -> int:
    return len({point.key for record in alerts for point in points(record)})


def test_by_object_the_target_gets_the_alerts_photometry(tom_bq, browser):
    name = "ZTF17aaarzyp"
    page = run_query(browser, objectId=name)
    assert page.context["query_feedback"] == ""
    [row] = page.context["results"]
    assert row["name"] == name and row["alerts"] == len(tom_bq.by_object(name))
    made = browser.post(
        reverse("dataservices:create-target"),
        {"query_id": "", "data_service": SERVICE, "selected_results": [str(row["id"])]},
    )
    assert made.status_code == 302
    target = Target.objects.get(name=name)
    assert target.ra == pytest.approx(tom_bq.by_object(name)[0]["candidate"]["ra"])
    stored = PhotometryReducedDatum.objects.filter(target=target)
    assert stored.count() == expected_points(tom_bq.by_object(name)) > 0

    # The target page's "check for new data": the same lookup, nothing stored twice.
    first = stored.order_by("timestamp").first()
    first.delete()
    again = browser.post(
        reverse("dataservices:update-data"), {"target": target.pk, "data_service": SERVICE}
    )
    assert again.status_code == 302
    assert stored.count() == expected_points(tom_bq.by_object(name))  # the deleted one is back


def test_by_magnitude_and_time_window(tom_bq, browser):
    bright = [r for r in tom_bq.records if r["candidate"]["magpsf"] <= 17.5]
    page = run_query(browser, magnitude_max=17.5, since="2000-01-01", until="2100-01-01")
    assert {row["name"] for row in page.context["results"]} == {r["objectId"] for r in bright}
    none = run_query(browser, magnitude_max=17.5, since="2100-01-01")
    assert none.context["results"] == []


def test_a_query_over_the_cost_cap_is_refused_with_its_cost(settings, browser):
    # The emulator says every query scans 0 bytes: a dry run that would scan 5 GiB is
    # BigQuery's reply played by respx.
    settings.PITTGOOGLE = {"project": "pgb-tests", "bigquery_emulator_host": "bigquery.test"}
    dry = {
        "kind": "bigquery#queryResponse",
        "jobReference": {"projectId": "pgb-tests", "location": "US"},
        "totalBytesProcessed": str(5 * 2**30),
        "jobComplete": True,
    }
    with respx.mock(assert_all_called=False) as bigquery:
        queries = bigquery.post("http://bigquery.test/bigquery/v2/projects/pgb-tests/queries")
        queries.respond(json=dry)
        page = run_query(browser, magnitude_max=30)
    assert page.status_code == 200 and page.context["results"] == []
    feedback = page.context["query_feedback"]
    assert "will scan 5.00 GiB (about $0.03" in feedback, feedback
    assert "more than the cap of 1.00 GiB" in feedback and "cost_cap_gib" in feedback
    assert all(orjson.loads(call.request.content).get("dryRun") for call in queries.calls)


def test_a_search_with_no_condition_is_a_form_error(tom_bq, browser):
    created = browser.post(reverse("dataservices:create"), {"data_service": SERVICE})
    assert created.status_code == 200
    assert "would scan (and bill) the whole table" in created.content.decode()
