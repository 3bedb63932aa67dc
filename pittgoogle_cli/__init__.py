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
    from .auth import default_token_source, resolve_project
    from .bigquery import BigQueryClient
    from .bigquery_pager import QueryResult
    from .bigquery_sql import Query, TableId, alerts_query
    from .decode import Decoder
    from .filters import classtar_filter, load_filter, load_filters
    from .models import Alert, SchemaInfo
    from .pipeline import PullSettings, alerts, open_stream
    from .processing import Processing
    from .schemas import SchemaRegistry
    from .shapes import ShapeOptions
    from .stream import AlertStream, Counts, StreamOptions
    from .where import where_filter

# Imported on first use, so `pgb pull` on an emulator never loads OAuth or BigQuery code.
_LAZY = {
    "Alert": ".models",
    "AlertStream": ".stream",
    "BigQueryClient": ".bigquery",
    "Counts": ".stream",
    "Decoder": ".decode",
    "Processing": ".processing",
    "PullSettings": ".pipeline",
    "Query": ".bigquery_sql",
    "QueryResult": ".bigquery_pager",
    "SchemaInfo": ".models",
    "SchemaRegistry": ".schemas",
    "ShapeOptions": ".shapes",
    "StreamOptions": ".stream",
    "TableId": ".bigquery_sql",
    "alerts": ".pipeline",
    "alerts_query": ".bigquery_sql",
    "classtar_filter": ".filters",
    "default_token_source": ".auth",
    "load_filter": ".filters",
    "load_filters": ".filters",
    "open_stream": ".pipeline",
    "resolve_project": ".auth",
    "where_filter": ".where",
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
