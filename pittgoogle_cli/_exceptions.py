"""Everything pgb raises on purpose.

    PgbError                      exit 1 unless a subclass says otherwise
    ├── ConfigError               exit 2  bad option or missing setting (no project, ...)
    ├── AuthError                 exit 3  no usable credentials
    ├── CostTooHigh               exit 5  a query would scan more bytes than the cap
    ├── ApiError                  an error reply from a Google REST API
    │   ├── BadRequest            exit 1  400: the request itself is wrong
    │   ├── Unauthenticated       exit 3  401
    │   ├── PermissionDenied      exit 6  403
    │   ├── NotFound              exit 4  404
    │   ├── AlreadyExists         exit 1  409
    │   ├── TooManyRequests       retriable  429
    │   └── ServerError           retriable  5xx
    ├── TransportError            retriable  timeout, connection refused, reset
    │   └── Unreachable           exit 7  still failing after every retry
    ├── MalformedReply            exit 1  a 2xx reply pgb cannot parse
    ├── DecodeError               one message that cannot be decoded: dead-lettered, not fatal
    ├── FilterFailed              a filter raised on one alert: dead-lettered, not fatal
    ├── FilterBroken              exit 1  a filter raised on each of the first alerts it saw
    ├── UnsupportedSchema         exit 1  an Avro schema Parquet cannot hold
    ├── OutputFailed              exit 8  an output or the dead-letter folder cannot be written
    └── OutputClosed              exit 141  the reader of stdout went away (``| head``)

Retry code reads ``exc.retriable``; the CLI reads ``exc.exit_code``. Messages never carry
credentials: request headers are not part of any message here.
"""

from __future__ import annotations

import sys
from typing import ClassVar

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup


class PgbError(Exception):
    """Base class: something pgb can explain to the user in one line."""

    exit_code: ClassVar[int] = 1
    retriable: ClassVar[bool] = False


class ConfigError(PgbError):
    exit_code = 2


class AuthError(PgbError):
    exit_code = 3


class CostTooHigh(PgbError):
    """A BigQuery query would scan (and bill) more bytes than ``--max-bytes`` allows."""

    exit_code = 5


class ApiError(PgbError):
    """A Google REST API answered with an error.

    ``status`` is the HTTP status, ``reason`` Google's status word (``NOT_FOUND``...).
    """

    def __init__(
        self, message: str, *, status: int, reason: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After)


class BadRequest(ApiError):
    pass


class Unauthenticated(ApiError):
    exit_code = 3


class PermissionDenied(ApiError):
    exit_code = 6


class NotFound(ApiError):
    exit_code = 4


class AlreadyExists(ApiError):
    pass


class TooManyRequests(ApiError):
    retriable = True


class ServerError(ApiError):
    retriable = True


class TransportError(PgbError):
    retriable = True


class Unreachable(TransportError):
    exit_code = 7
    retriable = False


class MalformedReply(PgbError):
    pass


class DecodeError(PgbError):
    """One message could not be decoded; it goes to the dead-letter folder."""


class FilterFailed(PgbError):
    """A filter raised on one alert; that alert goes to the dead-letter folder with the
    traceback, and the stream goes on."""


class FilterBroken(PgbError):
    """A filter raised on each of the first alerts it was given and never returned: it
    is broken, not unlucky, so pgb stops rather than dead-letter the whole stream."""


class UnsupportedSchema(PgbError):
    """An Avro schema with a construct that Arrow/Parquet cannot hold."""


class OutputFailed(PgbError):
    """Writing an output (or the dead-letter folder) failed: a full disk, a file too
    large, a folder gone. Nothing that was not written is acked; a rerun delivers it."""

    exit_code = 8


class OutputClosed(PgbError):
    """The reader of stdout went away (``pgb pull | head``); exit 141 like SIGPIPE.

    ``taken``: how many alerts of the batch being written the reader took before it left
    (the rest are not acked); ``handled``: how many messages from the start of that batch
    are done with (set by the engine)."""

    exit_code = 141

    def __init__(self, message: str = "output closed", *, taken: int = 0) -> None:
        super().__init__(message)
        self.taken = taken
        self.handled = 0


def add_context(exc: PgbError, context: str) -> PgbError:
    """The same error, its message prefixed with what pgb was doing."""
    exc.args = (f"{context}: {exc}",)
    return exc


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: AlreadyExists,
    429: TooManyRequests,
}


def error_class_for_status(status: int) -> type[ApiError]:
    """The one table from an HTTP status to the class a caller can act on."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, BadRequest if 400 <= status < 500 else ApiError)


def sole_error(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception inside anyio's task groups' wrapping, however deep, or None when
    they hold more than one: a library caller's ``except NotFound`` should see it plainly."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending and len(leaves) < 2:
        exc = pending.pop()
        if isinstance(exc, BaseExceptionGroup):
            pending.extend(exc.exceptions)
        else:
            leaves.append(exc)
    return leaves[0] if len(leaves) == 1 and not pending else None
