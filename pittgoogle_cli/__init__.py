"""pgb: Pitt-Google's alert streams and tables as JSON lines, from the shell or Python.

import pittgoogle_cli as pgb
settings = pgb.PullSettings("ztf-loop", max_alerts=100, where="candidate.magpsf < 18")
async for alert in pgb.alerts(settings):    # acked as the loop moves on
    ...
outcome = await pgb.pull(settings, out="bright.sqlite")
pgb.plot(alert).savefig("alert.png")  # light curve and cutouts (the [plot] extra)
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._exceptions import (
    AlreadyExists,
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
    CostTooHigh,
    DecodeError,
    FilterBroken,
    FilterFailed,
    MalformedReply,
    NotFound,
    OutputClosed,
    OutputFailed,
    PermissionDenied,
    PgbError,
    ServerError,
    TooManyRequests,
    TransportError,
    Unauthenticated,
    Unreachable,
    UnsupportedSchema,
)

if _TYPE_CHECKING:
    from .auth.resolve import default_token_source, resolve_project
    from .bigquery.client import BigQueryClient
    from .bigquery.pager import QueryResult
    from .bigquery.sql import Query, TableId, alerts_query
    from .engine.admin import subscriptions
    from .engine.local import decode_files
    from .engine.pull import alerts, pull
    from .engine.settings import (
        DecodeOutcome,
        DecodeSettings,
        OutputFormat,
        PullOutcome,
        PullSettings,
        StopReason,
    )
    from .engine.sync import HeldAlerts, fetch, pull_sync
    from .figures.figure import plot
    from .filters.base import Filter
    from .filters.classtar import classtar_filter
    from .filters.specs import load_filter, load_filters
    from .filters.where import where_filter
    from .packets.decode import Decoder
    from .packets.models import Alert, Counts, SchemaInfo
    from .packets.schemas import SchemaRegistry
    from .shapes.shape import Cutouts, ShapeOptions

# Imported on first use, so `pgb pull` on an emulator never loads OAuth or BigQuery code.
_LAZY = {
    "Alert": ".packets.models",
    "BigQueryClient": ".bigquery.client",
    "Counts": ".packets.models",
    "Cutouts": ".shapes.shape",
    "DecodeOutcome": ".engine.settings",
    "DecodeSettings": ".engine.settings",
    "Decoder": ".packets.decode",
    "Filter": ".filters.base",
    "HeldAlerts": ".engine.sync",
    "OutputFormat": ".engine.settings",
    "PullOutcome": ".engine.settings",
    "PullSettings": ".engine.settings",
    "Query": ".bigquery.sql",
    "QueryResult": ".bigquery.pager",
    "SchemaInfo": ".packets.models",
    "SchemaRegistry": ".packets.schemas",
    "ShapeOptions": ".shapes.shape",
    "StopReason": ".engine.settings",
    "TableId": ".bigquery.sql",
    "alerts": ".engine.pull",
    "alerts_query": ".bigquery.sql",
    "classtar_filter": ".filters.classtar",
    "decode_files": ".engine.local",
    "default_token_source": ".auth.resolve",
    "fetch": ".engine.sync",
    "load_filter": ".filters.specs",
    "load_filters": ".filters.specs",
    "plot": ".figures.figure",
    "pull": ".engine.pull",
    "pull_sync": ".engine.sync",
    "resolve_project": ".auth.resolve",
    "subscriptions": ".engine.admin",
    "where_filter": ".filters.where",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pittgoogle_cli' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


__version__ = "0.1.0"

__all__ = [
    "Alert",
    "AlreadyExists",
    "ApiError",
    "AuthError",
    "BadRequest",
    "BigQueryClient",
    "ConfigError",
    "CostTooHigh",
    "Counts",
    "Cutouts",
    "DecodeError",
    "DecodeOutcome",
    "DecodeSettings",
    "Decoder",
    "Filter",
    "FilterBroken",
    "FilterFailed",
    "HeldAlerts",
    "MalformedReply",
    "NotFound",
    "OutputClosed",
    "OutputFailed",
    "OutputFormat",
    "PermissionDenied",
    "PgbError",
    "PullOutcome",
    "PullSettings",
    "Query",
    "QueryResult",
    "SchemaInfo",
    "SchemaRegistry",
    "ServerError",
    "ShapeOptions",
    "StopReason",
    "TableId",
    "TooManyRequests",
    "TransportError",
    "Unauthenticated",
    "Unreachable",
    "UnsupportedSchema",
    "__version__",
    "alerts",
    "alerts_query",
    "classtar_filter",
    "decode_files",
    "default_token_source",
    "fetch",
    "load_filter",
    "load_filters",
    "plot",
    "pull",
    "pull_sync",
    "resolve_project",
    "subscriptions",
    "where_filter",
]
