"""Pitt-Google's BigQuery service for the TOM Toolkit (``tom_dataservices``): it looks alerts
up in Pitt-Google's tables (by object, candid, magnitude, time), refusing a query that would
scan more than the cost cap and saying what it would have cost."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

import anyio
from django import forms
from tom_dataservices.dataservices import DataService, QueryServiceError
from tom_dataservices.forms import BaseQueryForm

from pittgoogle_cli._exceptions import CostTooHigh, PgbError
from pittgoogle_cli.bigquery.client import BigQueryClient
from pittgoogle_cli.bigquery.rest import format_bytes
from pittgoogle_cli.bigquery.sql import TableId, search_query
from pittgoogle_cli.packets.models import Alert, SchemaInfo
from pittgoogle_cli.tom_toolkit.config import TomConfig
from pittgoogle_cli.tom_toolkit.dataservices import Row, RowTargets, feedback, tom_config
from pittgoogle_cli.tom_toolkit.targets import target_rows

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


class PittGoogleBigQueryService(RowTargets, DataService):
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
