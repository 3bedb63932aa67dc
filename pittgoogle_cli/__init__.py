"""pgb: Pitt-Google's alert streams and tables as JSON lines, from the shell or Python."""

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
    MalformedReply,
    NotFound,
    PermissionDenied,
    PgbError,
    ServerError,
    TooManyRequests,
    TransportError,
    Unauthenticated,
    Unreachable,
)

if _TYPE_CHECKING:
    from .alerts.decode import Decoder
    from .alerts.models import Alert, SchemaInfo
    from .alerts.schemas import SchemaRegistry
    from .auth.resolve import default_token_source, resolve_project
    from .bigquery.client import BigQueryClient
    from .bigquery.pager import QueryResult
    from .bigquery.sql import Query, TableId, alerts_query
    from .engine.processing import Processing
    from .engine.pull import PullSettings, alerts, open_stream
    from .filters.specs import classtar_filter, load_filter, load_filters
    from .filters.where import where_filter
    from .pubsub.stream import AlertStream, Counts, StreamOptions
    from .shapes.shape import ShapeOptions

# Imported on first use, so `pgb pull` on an emulator never loads OAuth or BigQuery code.
_LAZY = {
    "Alert": ".alerts.models",
    "AlertStream": ".pubsub.stream",
    "BigQueryClient": ".bigquery.client",
    "Counts": ".pubsub.stream",
    "Decoder": ".alerts.decode",
    "Processing": ".engine.processing",
    "PullSettings": ".engine.pull",
    "Query": ".bigquery.sql",
    "QueryResult": ".bigquery.pager",
    "SchemaInfo": ".alerts.models",
    "SchemaRegistry": ".alerts.schemas",
    "ShapeOptions": ".shapes.shape",
    "StreamOptions": ".pubsub.stream",
    "TableId": ".bigquery.sql",
    "alerts": ".engine.pull",
    "alerts_query": ".bigquery.sql",
    "classtar_filter": ".filters.specs",
    "default_token_source": ".auth.resolve",
    "load_filter": ".filters.specs",
    "load_filters": ".filters.specs",
    "open_stream": ".engine.pull",
    "resolve_project": ".auth.resolve",
    "where_filter": ".filters.where",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pittgoogle_cli' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Alert",
    "AlertStream",
    "AlreadyExists",
    "ApiError",
    "AuthError",
    "BadRequest",
    "BigQueryClient",
    "ConfigError",
    "CostTooHigh",
    "Counts",
    "DecodeError",
    "Decoder",
    "MalformedReply",
    "NotFound",
    "PermissionDenied",
    "PgbError",
    "Processing",
    "PullSettings",
    "Query",
    "QueryResult",
    "SchemaInfo",
    "SchemaRegistry",
    "ServerError",
    "ShapeOptions",
    "StreamOptions",
    "TableId",
    "TooManyRequests",
    "TransportError",
    "Unauthenticated",
    "Unreachable",
    "__version__",
    "alerts",
    "alerts_query",
    "classtar_filter",
    "default_token_source",
    "load_filter",
    "load_filters",
    "open_stream",
    "resolve_project",
    "where_filter",
]
