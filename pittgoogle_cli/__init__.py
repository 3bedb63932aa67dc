"""pgb: Pitt-Google's alert streams and tables as JSON lines, from the shell or Python."""

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
