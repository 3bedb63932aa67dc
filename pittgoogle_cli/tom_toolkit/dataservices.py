"""Pitt-Google's stream service for the TOM Toolkit (``tom_dataservices``): it pulls a
subscription on pgb's engine, bounded by a timeout so that the page comes back even on an
idle stream (the BigQuery service is in ``bigquery_service``).

Alerts pulled for a query page are acked only once the TOM has cached them: the rows are
handed to the TOM's view one at a time, and a row counts as cached when the view asks for
the next; rows the view did not take (it keeps 100) go back to the subscription.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings as django_settings
from tom_dataservices.dataservices import DataService, QueryServiceError
from tom_dataservices.forms import BaseQueryForm

from pittgoogle_cli._exceptions import ConfigError, PgbError
from pittgoogle_cli.engine.paths import check_where
from pittgoogle_cli.engine.settings import PullSettings
from pittgoogle_cli.engine.sync import HeldAlerts
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.tom_toolkit import store
from pittgoogle_cli.tom_toolkit.config import TomConfig, from_settings
from pittgoogle_cli.tom_toolkit.targets import SOURCE_NAME, target_rows

Row = dict[str, Any]  # a target row (targets.target_rows)


def tom_config() -> TomConfig:
    try:
        return from_settings(django_settings)
    except ConfigError as exc:
        raise QueryServiceError(str(exc)) from None


class StreamQueryForm(BaseQueryForm):
    subscription_name = forms.CharField(
        required=False,
        help_text="In your project; created on Pitt-Google's topic of the same name if missing "
        "(ztf-loop, ztf-alerts, ztf-lite...). Default: settings.PITTGOOGLE['subscription'].",
    )
    max_results = forms.IntegerField(required=False, min_value=1, max_value=100, initial=100)
    timeout = forms.FloatField(
        required=False, min_value=1, max_value=60, initial=10, help_text="seconds"
    )
    classtar_threshold = forms.FloatField(
        required=False, min_value=0, max_value=1, help_text="SExtractor's star/galaxy score"
    )
    classtar_gt_lt = forms.ChoiceField(
        required=False, choices=[("gt", "greater than"), ("lt", "less than")], initial="gt"
    )
    where = forms.CharField(
        required=False,
        help_text="As pgb pull --where: e.g. candidate.magpsf < 18 and candidate.fid == 1",
    )

    def clean_where(self) -> str:
        expression = str(self.cleaned_data.get("where") or "").strip()
        if expression:
            try:
                check_where(expression, "ztf")
            except ConfigError as exc:
                raise forms.ValidationError(str(exc)) from None
        return expression


class RowTargets:
    """What both Pitt-Google services do with a row of ``targets.target_rows``: a target,
    its extras, its photometry."""

    def create_target_from_query(self, target_result: Row, **kwargs: Any) -> Any:
        return store.new_target(target_result)

    def create_target_extras_from_query(self, query_results: Row, **kwargs: Any) -> dict[str, Any]:
        return dict(query_results.get("extras") or {})

    def create_reduced_datums_from_query(
        self, target: Any, data: Any = None, data_type: str | None = None, **kwargs: Any
    ) -> list[Any]:
        if data_type not in (None, "photometry"):
            return []
        return store.save_photometry(target, data or [], source=SOURCE_NAME)


class PittGoogleStreamService(RowTargets, DataService):
    """Alerts from a Pitt-Google Pub/Sub stream, pulled when the query runs."""

    name = "Pitt-Google stream"
    verbose_name = "Pitt-Google alert stream (Pub/Sub)"
    info_url = "https://pitt-broker.readthedocs.io/"
    service_notes = "Pulls at most 100 alerts for at most the timeout; they are acked once shown."
    query_results_table = "pittgoogle/partials/query_results.html"
    app_link = "https://github.com/mwvgroup/pittgoogle-cli"

    @classmethod
    def get_form_class(cls) -> type[forms.Form]:
        return StreamQueryForm

    def build_query_parameters(self, parameters: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        keys = ("subscription_name", "max_results", "timeout", "classtar_threshold",
                "classtar_gt_lt", "where")  # fmt: skip
        self.query_parameters = {key: parameters.get(key) for key in keys}
        return self.query_parameters

    def query_service(self, query_parameters: dict[str, Any], **kwargs: Any) -> HeldAlerts:
        try:
            held = HeldAlerts(stream_settings(query_parameters))
        except PgbError as exc:
            raise QueryServiceError(feedback(exc)) from None
        self.query_results = held
        return held

    def query_targets(self, query_parameters: dict[str, Any], **kwargs: Any) -> Iterator[Row]:
        held = self.query_service(query_parameters)
        return acked_as_taken(held, target_rows(held.alerts))


def stream_settings(parameters: dict[str, Any]) -> PullSettings:
    """A stream form's parameters (the old module's names) as pgb's settings: a pull
    bounded by ``max_results`` and ``timeout``, that stops early once the stream is idle."""
    config = tom_config()
    threshold = parameters.get("classtar_threshold")
    try:
        return PullSettings(
            parameters.get("subscription_name") or config.subscription,
            project=config.project,
            credentials=config.credentials,
            emulator_host=config.emulator_host,
            max_alerts=int(parameters.get("max_results") or config.max_alerts),
            timeout=float(parameters.get("timeout") or config.timeout),
            until_empty=True,
            classtar_threshold=float(threshold) if threshold not in (None, "") else None,
            classtar=parameters.get("classtar_gt_lt") or "gt",
            where=parameters.get("where") or None,
            dead_letter_dir=config.dead_letter_dir,
        )
    except PgbError as exc:
        raise QueryServiceError(str(exc)) from None


def acked_as_taken(held: HeldAlerts, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each row in turn; once the caller asks for the next, the alerts of the one before
    are acked (it was cached). What is not taken goes back when the generator ends."""
    by_message: dict[str, Alert] = {alert.message_id: alert for alert in held.alerts}
    try:
        for row in rows:
            yield row
            held.ack(by_message[i] for i in row["message_ids"] if i in by_message)
        held.ack(held.alerts)  # the rest: filtered into no row (no name or position)
    finally:
        held.close()


def feedback(exc: PgbError) -> str:
    """One line for the page: what went wrong and what to do."""
    text = str(exc)
    if type(exc).__name__ in ("AuthError", "Unauthenticated", "PermissionDenied"):
        return (
            f"{text}. Set PITTGOOGLE['credentials'] in the TOM's settings to a service-account "
            "key, or run `pgb auth login` once as the user the TOM runs as."
        )
    return text
