"""pgb: Pitt-Google's alert streams and tables as JSON lines, from the shell or Python."""

from ._exceptions import (
    AlreadyExists,
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
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
from .decode import Decoder
from .models import Alert
from .pipeline import PullSettings, alerts, open_stream
from .stream import AlertStream, Counts, StreamOptions

__version__ = "0.1.0"

__all__ = [
    "Alert",
    "AlertStream",
    "AlreadyExists",
    "ApiError",
    "AuthError",
    "BadRequest",
    "ConfigError",
    "Counts",
    "DecodeError",
    "Decoder",
    "MalformedReply",
    "NotFound",
    "PermissionDenied",
    "PgbError",
    "PullSettings",
    "ServerError",
    "StreamOptions",
    "TooManyRequests",
    "TransportError",
    "Unauthenticated",
    "Unreachable",
    "__version__",
    "alerts",
    "open_stream",
]
