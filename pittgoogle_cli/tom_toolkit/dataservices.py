"""Pitt-Google's data services for the TOM Toolkit (``tom_dataservices``): a stream
service that pulls a subscription on pgb's engine, bounded by a timeout so that the page
comes back even on an idle stream, and a BigQuery service that looks alerts up in
Pitt-Google's tables (by object, candid, magnitude, time), refusing a query that would
scan more than the cost cap and saying what it would have cost.

Alerts pulled for a query page are acked only once the TOM has cached them: the rows are
handed to the TOM's view one at a time, and a row counts as cached when the view asks for
the next; rows the view did not take (it keeps 100) go back to the subscription.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timezone
from typing import Any

import anyio
from django import forms
from django.conf import settings as django_settings
from tom_dataservices.dataservices import DataService, QueryServiceError
from tom_dataservices.forms import BaseQueryForm

from pittgoogle_cli._exceptions import ConfigError, CostTooHigh, PgbError
from pittgoogle_cli.bigquery.client import BigQueryClient
from pittgoogle_cli.bigquery.rest import format_bytes
from pittgoogle_cli.bigquery.sql import TableId, search_query
from pittgoogle_cli.engine.paths import check_where
from pittgoogle_cli.engine.settings import PullSettings
from pittgoogle_cli.engine.sync import HeldAlerts
from pittgoogle_cli.packets.models import Alert, SchemaInfo
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


class PittGoogleStreamService(DataService):
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

    def create_target_from_query(self, target_result: dict[str, Any], **kwargs: Any) -> Any:
        return store.new_target(target_result)

    def create_target_extras_from_query(self, query_results: Row, **kwargs: Any) -> dict[str, Any]:
        return dict(query_results.get("extras") or {})

    def create_reduced_datums_from_query(
        self, target: Any, data: Any = None, data_type: str | None = None, **kwargs: Any
    ) -> list[Any]:
        if data_type not in (None, "photometry"):
            return []
        return store.save_photometry(target, data or [], source=SOURCE_NAME)


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


BIGQUERY_ROWS = SchemaInfo("bigquery", survey="ztf")
_JD_UNIX_EPOCH = 2440587.5


class BigQueryForm(BaseQueryForm):
    objectId = forms.CharField(
        required=False, help_text="One or more ZTF objectIds, separated by commas or spaces"
    )
    candid = forms.IntegerField(required=False, min_value=0)
    magnitude_min = forms.FloatField(required=False, label="Brightest magpsf")
    magnitude_max = forms.FloatField(required=False, label="Faintest magpsf")
    # Text, not DateField: the TOM keeps the cleaned form in the session, as JSON.
    since = forms.CharField(required=False, help_text="UTC date (YYYY-MM-DD), inclusive")
    until = forms.CharField(required=False, help_text="UTC date (YYYY-MM-DD), inclusive")
    max_results = forms.IntegerField(required=False, min_value=1, max_value=1000, initial=100)

    def clean_since(self) -> str:
        return _iso_day(self.cleaned_data.get("since"))

    def clean_until(self) -> str:
        return _iso_day(self.cleaned_data.get("until"))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        wanted = ("objectId", "candid", "magnitude_min", "magnitude_max", "since", "until")
        if all(cleaned.get(key) in (None, "") for key in wanted):
            raise forms.ValidationError(
                "Give an objectId, a candid, a magnitude range or a time window: a search "
                "with none would scan (and bill) the whole table."
            )
        return cleaned


class PittGoogleBigQueryService(DataService):
    """Alerts from Pitt-Google's BigQuery tables (``ztf.alerts_v4_02`` by default)."""

    name = "Pitt-Google BigQuery"
    verbose_name = "Pitt-Google alert tables (BigQuery)"
    info_url = "https://pitt-broker.readthedocs.io/"
    service_notes = "Queries are billed to your project; a query over the cost cap is refused."
    query_results_table = "pittgoogle/partials/query_results.html"
    app_link = "https://github.com/mwvgroup/pittgoogle-cli"

    @classmethod
    def get_form_class(cls) -> type[forms.Form]:
        return BigQueryForm

    def build_query_parameters(self, parameters: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        keys = ("objectId", "candid", "magnitude_min", "magnitude_max", "since", "until",
                "max_results")  # fmt: skip
        found = {key: parameters.get(key) for key in keys}
        self.query_parameters = found
        return found

    def build_query_parameters_from_target(self, target: Any, **kwargs: Any) -> dict[str, Any]:
        """The target page's "check for new data": its alerts by objectId."""
        return self.build_query_parameters({"objectId": target.name, "max_results": 1000})

    def query_service(self, query_parameters: dict[str, Any], **kwargs: Any) -> list[Alert]:
        config = tom_config()
        try:
            query = search_from(query_parameters, config)
            rows = anyio.run(run_query, config, query)
        except PgbError as exc:
            raise QueryServiceError(feedback(exc)) from None
        self.query_results = [Alert(row, schema=BIGQUERY_ROWS) for row in rows]
        return self.query_results

    def query_targets(self, query_parameters: dict[str, Any], **kwargs: Any) -> list[Row]:
        return target_rows(self.query_service(query_parameters))

    def query_photometry(self, query_parameters: dict[str, Any], **kwargs: Any) -> list[Any]:
        if not query_parameters.get("objectId"):
            return []
        rows = target_rows(self.query_service(query_parameters))
        return [point for row in rows for point in row["reduced_datums"]["photometry"]]

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


def search_from(parameters: dict[str, Any], config: TomConfig) -> Any:
    names = str(parameters.get("objectId") or "").replace(",", " ").split()
    candid = parameters.get("candid")
    since, until = parameters.get("since"), parameters.get("until")
    brightest, faintest = parameters.get("magnitude_min"), parameters.get("magnitude_max")
    return search_query(
        TableId.parse(config.table),
        object_ids=names,
        candid=int(candid) if candid not in (None, "") else None,
        magnitude=(_float(brightest), _float(faintest)),
        jd=(_jd(since, time.min), _jd(until, time.max)),
        limit=int(parameters.get("max_results") or 100),
    )


async def run_query(config: TomConfig, query: Any) -> list[dict[str, Any]]:
    cap = int(config.cost_cap_gib * 2**30)
    async with BigQueryClient(
        config.project, emulator_host=config.bigquery_emulator_host, credentials=config.credentials
    ) as bq:
        estimate = await bq.estimate(query, max_bytes=None)
        if estimate.bytes > cap:
            raise CostTooHigh(
                f"{estimate.describe()}, more than the cap of {format_bytes(cap)}: narrow the "
                "search, or raise settings.PITTGOOGLE['cost_cap_gib']"
            )
        async with bq.query(query, max_bytes=cap, max_rows=query.limit) as result:
            return [row async for row in result]


def _iso_day(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise forms.ValidationError(f"{text!r} is not a date like 2024-05-31") from None


def _float(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None


def _jd(day: Any, at: time) -> float | None:
    if day in (None, ""):
        return None
    when = datetime.combine(date.fromisoformat(str(day)), at, tzinfo=timezone.utc)
    return when.timestamp() / 86400 + _JD_UNIX_EPOCH
