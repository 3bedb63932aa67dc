"""The TOM as an astronomer sees it, in headless Chromium (Debian's ``chromium``, driven by
Playwright): log in, run a Pitt-Google stream query on the real Pub/Sub emulator, look at the
results page, create the targets, open a target's page and its photometry plot. The
screenshots stay under the test's tmp folder (CI keeps them as artefacts)."""

from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from typing import Any

import fastavro
import pytest
from django.urls import reverse

from pittgoogle_cli.packets.photometry import points

from ..conftest import new_channel

CHROMIUM = os.environ.get("PGB_CHROMIUM", "/usr/bin/chromium")
# As root and on a closed network: no sandbox, no calls home, nothing resolved but loopback.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
PASSWORD = "pw-for-the-browser"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def astronomer(django_user_model: Any) -> Any:
    """Made before the browser starts: Playwright's event loop makes Django refuse the ORM."""
    return django_user_model.objects.create_user(username="astronomer", password=PASSWORD)


@pytest.fixture
def chromium() -> Any:
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def plot_traces(payloads: list[bytes]) -> dict[str, Counter[str]]:
    """Per object, what the TOM's photometry plot should hold, as its trace names go:
    detections per band ("g") and limits per band ("g non-detection"), each point once."""
    keyed: dict[str, dict[Any, Any]] = {}
    for payload in payloads:
        record = next(fastavro.reader(io.BytesIO(payload)))
        keyed.setdefault(record["objectId"], {}).update({p.key: p for p in points(record)})
    return {
        name: Counter(p.bandpass + (" non-detection" if p.is_limit else "") for p in found.values())
        for name, found in keyed.items()
    }


def test_an_astronomer_sees_alerts_become_targets_with_a_light_curve(
    tom, emulator, ztf_payloads, live_server, astronomer, chromium, tmp_path
):
    chan = new_channel(emulator)
    chan.publish(ztf_payloads)
    expected = plot_traces(ztf_payloads)
    shots = tmp_path / "screenshots"
    shots.mkdir()

    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", "astronomer")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        # The query form, as the data services menu opens it, filled and run.
        page.goto(
            f"{live_server.url}{reverse('dataservices:create')}?data_service=Pitt-Google+stream"
        )
        page.fill("input[name=subscription_name]", chan.subscription_id)
        page.fill("input[name=timeout]", "5")
        page.click("input[type=submit], button[type=submit] >> nth=-1")
        page.wait_for_selector("table tbody tr td", timeout=60_000)
        page.screenshot(path=shots / "query-results.png", full_page=True)

        rows = page.locator("table tbody tr")
        shown = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}
        assert shown == set(expected)
        assert _stylesheet_applied(page), "Bootstrap did not load: the page is unstyled"

        # All rows selected, targets created; then one target's page with its plot.
        page.check("#selectAll")
        page.click("input[value='Create Targets']")
        page.wait_for_load_state()
        name = max(expected, key=lambda n: sum(expected[n].values()))
        page.goto(f"{live_server.url}{reverse('targets:list')}")
        page.click(f"text={name}")
        page.click("#photometry-tab")
        page.wait_for_selector("#photometry .js-plotly-plot", state="visible", timeout=30_000)
        page.screenshot(path=shots / f"target-{name}.png", full_page=True)

        plotted = page.evaluate(
            "() => Object.fromEntries(document.querySelector('#photometry .js-plotly-plot').data"
            ".map(t => [t.name, t.y.filter(v => v !== null && !Number.isNaN(v)).length]))"
        )
        assert plotted == dict(expected[name])
        assert page.get_by_text(name).first.is_visible()
        for shot in shots.iterdir():
            assert shot.stat().st_size > 10_000, shot  # a picture, not a blank page
    except BaseException:
        page.screenshot(path=shots / "at-failure.png", full_page=True)
        print(page.url, page.inner_text("body")[:3000])
        raise
    print(f"screenshots: {shots}")


def _stylesheet_applied(page: Any) -> bool:
    """Bootstrap's navbar is a flex box; unstyled, it is a plain block."""
    return (
        page.evaluate(
            "() => getComputedStyle(document.querySelector('.navbar') || document.body).display"
        )
        == "flex"
    )
