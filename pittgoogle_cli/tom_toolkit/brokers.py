"""The old ``tom_pittgoogle`` module's three brokers, for TOMs that keep ``tom_alerts``::

    TOM_ALERT_CLASSES = [
        "pittgoogle_cli.tom_toolkit.brokers.BrokerStreamRest",
        "pittgoogle_cli.tom_toolkit.brokers.BrokerStreamPython",
        "pittgoogle_cli.tom_toolkit.brokers.BrokerDatabasePython",
    ]

They keep the old names (``Pitt-Google stream rest``...), so saved broker queries still
run, and the old form fields. Both stream brokers run on pgb's REST engine (Google's
Python client is no longer needed); an alert pulled for the page is acked once the page
cached it. Every method works on a fresh instance: the TOM makes a new one per request.
Errors come back as the page's feedback, never as a 500 or a prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
from django import forms
from tom_alerts.alerts import GenericAlert, GenericBroker, GenericQueryForm
from tom_dataservices.dataservices import QueryServiceError

from pittgoogle_cli._exceptions import ConfigError, PgbError
from pittgoogle_cli.engine.paths import check_where
from pittgoogle_cli.engine.sync import HeldAlerts
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.packets.photometry import from_jd
from pittgoogle_cli.tom_toolkit import store
from pittgoogle_cli.tom_toolkit.bigquery_service import BIGQUERY_ROWS, run_query, search_from
from pittgoogle_cli.tom_toolkit.dataservices import (
    acked_as_taken,
    feedback,
    stream_settings,
    tom_config,
)
from pittgoogle_cli.tom_toolkit.targets import SOURCE_NAME, target_rows

DOCS = "https://pitt-broker.readthedocs.io/"
_CLASSTAR = [("lt", "less than"), ("gt", "greater than")]


class StreamForm(GenericQueryForm):
    subscription_name = forms.CharField(
        required=False, initial="ztf-loop", help_text="In your project (created if missing)"
    )
    max_results = forms.IntegerField(required=True, initial=10, min_value=1, max_value=100)
    timeout = forms.FloatField(required=False, initial=10, min_value=1, max_value=60)
    max_backlog = forms.IntegerField(
        required=False, min_value=1, help_text="Kept for old saved queries; pgb holds at most "
        "max_results alerts at a time"
    )  # fmt: skip
    classtar_threshold = forms.FloatField(
        required=False, min_value=0, max_value=1, help_text="Star/Galaxy score threshold"
    )
    classtar_gt_lt = forms.ChoiceField(
        required=False, choices=_CLASSTAR, initial="lt", widget=forms.RadioSelect, label=""
    )
    where = forms.CharField(required=False, help_text="As pgb pull --where")

    def clean_where(self) -> str:
        expression = str(self.cleaned_data.get("where") or "").strip()
        if expression:
            try:
                check_where(expression, "ztf")
            except ConfigError as exc:
                raise forms.ValidationError(str(exc)) from None
        return expression


class DatabaseForm(GenericQueryForm):
    objectId = forms.CharField(required=False)
    candid = forms.IntegerField(required=False)
    max_results = forms.IntegerField(required=True, initial=10, min_value=1, max_value=1000)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        if not cleaned.get("objectId") and cleaned.get("candid") is None:
            raise forms.ValidationError("Give an objectId or a candid.")
        return cleaned


def alert_entries(alerts: list[Alert]) -> list[dict[str, Any]]:
    """One plain dict per alert (the TOM caches them, pickled): the row of its object
    made from this alert alone, plus what ``GenericAlert`` shows."""
    entries = []
    for alert in alerts:
        rows = target_rows([alert])
        if not rows:
            continue
        candidate = alert.record.get("candidate") or {}
        entries.append(
            {
                **rows[0],
                "id": int(alert.candid) if alert.candid is not None else 0,
                "jd": candidate.get("jd"),
                "mag": candidate.get("magpsf"),
                "classtar": candidate.get("classtar"),
            }
        )
    return entries


class _PittGoogleBroker(GenericBroker):
    form: type[forms.Form] = StreamForm
    help_url = DOCS
    score_description = "classtar: SExtractor's star/galaxy score of the nearest source (1 star)"

    def to_generic_alert(self, alert: dict[str, Any]) -> GenericAlert:
        jd = alert.get("jd")
        return GenericAlert(
            timestamp=from_jd(jd) if isinstance(jd, (int, float)) else None,
            url=DOCS,
            id=alert["id"],
            name=alert["name"],
            ra=alert["ra"],
            dec=alert["dec"],
            mag=alert.get("mag"),
            score=alert.get("classtar"),
        )

    def to_target(self, alert: dict[str, Any]) -> Any:
        return store.new_target(alert)

    def process_reduced_data(self, target: Any, alert: dict[str, Any] | None = None) -> None:
        if alert:
            store.save_photometry(target, alert["reduced_datums"]["photometry"], source=SOURCE_NAME)


class BrokerStreamRest(_PittGoogleBroker):
    """Pulls a Pitt-Google subscription when the query runs (pgb's REST engine)."""

    name = "Pitt-Google stream rest"
    form = StreamForm

    def fetch_alerts(self, parameters: dict[str, Any]) -> tuple[Iterator[dict[str, Any]], str]:
        try:
            held = HeldAlerts(stream_settings(parameters))
        except (PgbError, QueryServiceError) as exc:
            message = feedback(exc) if isinstance(exc, PgbError) else str(exc)
            return iter(()), message
        return acked_as_taken(held, alert_entries(held.alerts)), ""


class BrokerStreamPython(BrokerStreamRest):
    """The old name of the stream broker that used Google's Python client; the same
    engine now (kept so that settings naming it go on working)."""

    name = "Pitt-Google stream python"


class BrokerDatabasePython(_PittGoogleBroker):
    """Looks alerts up in Pitt-Google's BigQuery table by objectId or candid."""

    name = "Pitt-Google database python"
    form = DatabaseForm

    def fetch_alerts(self, parameters: dict[str, Any]) -> tuple[Iterator[dict[str, Any]], str]:
        try:
            config = tom_config()
            query = search_from(parameters, config)
            rows = anyio.run(run_query, config, query)
        except PgbError as exc:
            return iter(()), feedback(exc)
        except QueryServiceError as exc:
            return iter(()), str(exc)
        return iter(alert_entries([Alert(row, schema=BIGQUERY_ROWS) for row in rows])), ""
