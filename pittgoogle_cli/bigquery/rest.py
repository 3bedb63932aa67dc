"""BigQuery REST v2, pure: endpoints, request bodies, typed replies, errors and cost.

    POST projects/P/queries          jobs.query (a dry run too)
    GET  projects/P/queries/JOB      jobs.getQueryResults: poll, then page

BigQuery's error replies carry the useful word in ``error.errors[0].reason``
(``invalidQuery``, ``notFound``, ``accessDenied``, ``rateLimitExceeded``...), not in the
HTTP status: a 403 may be a permission problem or a rate limit to retry. ``error_for``
is the one table from that reason to pgb's error classes.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import msgspec

from pittgoogle_cli._exceptions import (
    ApiError,
    BadRequest,
    CostTooHigh,
    MalformedReply,
    NotFound,
    PermissionDenied,
    PgbError,
    ServerError,
    TooManyRequests,
    error_class_for_status,
)
from pittgoogle_cli.bigquery.rows import Field
from pittgoogle_cli.bigquery.sql import Query
from pittgoogle_cli.google.errors import ErrorProto, parse_error

BIGQUERY_API = "https://bigquery.googleapis.com/bigquery/v2"
# On-demand analysis price (US multi-region, 2025); change with --price-per-tib.
PRICE_PER_TIB_USD = 6.25
# 10 GiB costs about 6 cents at that price: room for key lookups on a large table, far
# from a surprise bill. Raise with --max-bytes.
DEFAULT_MAX_BYTES = 10 * 2**30
# How long one jobs.query / getQueryResults call may wait on the server for the job.
SERVER_WAIT_MS = 10_000


def api_root(emulator_host: str | None) -> str:
    """The real API, or ``http://HOST:PORT/bigquery/v2`` for ``BIGQUERY_EMULATOR_HOST``."""
    if not emulator_host:
        return BIGQUERY_API
    host = emulator_host.rstrip("/")
    if "://" not in host:
        host = f"http://{host}"
    return f"{host}/bigquery/v2"


# BigQuery sends int64 counts as decimal strings: checked as they are parsed, so that
# ``int()`` of one cannot fail later (nor take a 100,000-digit string).
_Count = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,20}$")]


class JobReference(msgspec.Struct, frozen=True, rename="camel"):
    project_id: str = ""
    job_id: str = ""
    location: str | None = None


class JobStatus(msgspec.Struct, frozen=True, rename="camel"):
    state: str = ""
    error_result: ErrorProto | None = None


class Schema(msgspec.Struct, frozen=True):
    fields: tuple[Field, ...] = ()


class QueryReply(msgspec.Struct, frozen=True, rename="camel"):
    """``jobs.query`` and ``jobs.getQueryResults`` replies (the same fields matter)."""

    job_reference: JobReference | None = None
    job_complete: bool = False
    schema: Schema | None = None
    rows: list[dict[str, Any]] = []
    total_rows: _Count | None = None
    page_token: str | None = None
    total_bytes_processed: _Count | None = None
    cache_hit: bool = False
    errors: list[ErrorProto] = []
    status: JobStatus | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.schema.fields if self.schema else ()

    @property
    def bytes_processed(self) -> int:
        return int(self.total_bytes_processed or 0)

    def failure(self) -> ErrorProto | None:
        """The error of a failed job sent as a 2xx reply (bqemulator does; BigQuery sends a
        4xx). ``errors`` alone, next to a schema, may be warnings of a job that worked."""
        if self.status and self.status.error_result:
            return self.status.error_result
        if self.errors and not self.fields:
            return self.errors[0]
        return None


_reply_decoder = msgspec.json.Decoder(QueryReply)
_encoder = msgspec.json.Encoder()


def parse_reply(body: bytes | bytearray) -> QueryReply:
    try:
        return _reply_decoder.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise MalformedReply(f"BigQuery sent a reply pgb cannot read: {exc}") from None


# Reasons whose meaning the HTTP status does not tell: see BigQuery's "Error messages" page.
_BY_REASON: dict[str, type[ApiError]] = {
    "invalidQuery": BadRequest,
    "invalid": BadRequest,
    "notFound": NotFound,
    "accessDenied": PermissionDenied,
    "rateLimitExceeded": TooManyRequests,
    "backendError": ServerError,
    "internalError": ServerError,
    "quotaExceeded": ApiError,  # a 403, but not a permission problem: exit 1
    "responseTooLarge": BadRequest,
    "resourcesExceeded": BadRequest,
}


def error_for(status: int, message: str, reason: str, retry_after: float | None = None) -> PgbError:
    """The pgb error for a BigQuery error ``reason`` (HTTP ``status`` when none is known);
    ``retry_after``: the seconds a ``Retry-After`` header asked for."""
    text = " ".join(line.strip() for line in message.splitlines()[:1]) or f"HTTP {status}"
    described = f"BigQuery {reason}: {text}" if reason else f"BigQuery: {text}"
    if reason == "bytesBilledLimitExceeded":
        return CostTooHigh(f"{described} (raise --max-bytes to allow it)")
    cls = _BY_REASON.get(reason) or error_class_for_status(status)
    return cls(described, status=status, reason=reason, retry_after=retry_after)


def reply_error(
    status: int, body: bytes, phrase: str = "", retry_after: float | None = None
) -> PgbError:
    """The pgb error for an HTTP error reply; ``phrase`` (the HTTP reason phrase) when the
    body is not Google's error envelope or has no message."""
    error = parse_error(body)
    if error is None:
        return error_for(status, phrase, "", retry_after)
    return error_for(status, error.message or phrase, error.reason, retry_after)


def job_error(error: ErrorProto) -> PgbError:
    return error_for(400, error.message, error.reason)


def query_body(
    query: Query,
    *,
    dry_run: bool = False,
    max_bytes: int | None = None,
    page_size: int | None = None,
) -> bytes:
    """A ``QueryRequest``: standard SQL, named parameters, int64 timestamps."""
    body: dict[str, Any] = {
        "query": query.sql,
        "useLegacySql": False,
        "formatOptions": {"useInt64Timestamp": True},
        "timeoutMs": SERVER_WAIT_MS,
        # The same requestId on a retried call returns the first call's job, not a new one.
        "requestId": str(uuid.uuid4()),
    }
    if query.parameters:
        body["parameterMode"] = "NAMED"
        body["queryParameters"] = list(query.parameters)
    if dry_run:
        body["dryRun"] = True
    if max_bytes is not None:
        body["maximumBytesBilled"] = str(max_bytes)
    if page_size is not None:
        body["maxResults"] = page_size
    return _encoder.encode(body)


def query_path(project: str) -> str:
    return f"projects/{quote(project, safe='')}/queries"


def results_path(job: JobReference, *, page_token: str | None, page_size: int | None) -> str:
    """``getQueryResults``: waits up to SERVER_WAIT_MS for the job, then gives one page."""
    params: dict[str, str | int] = {
        "formatOptions.useInt64Timestamp": "true",
        "timeoutMs": SERVER_WAIT_MS,
    }
    if job.location:
        params["location"] = job.location
    if page_token:
        params["pageToken"] = page_token
    if page_size is not None:
        params["maxResults"] = page_size
    project, job_id = quote(job.project_id, safe=""), quote(job.job_id, safe="")
    return f"projects/{project}/queries/{job_id}?{urlencode(params)}"


def cancel_path(job: JobReference) -> str:
    """``jobs.cancel``: stop a job (and its billing) that nobody will read."""
    project, job_id = quote(job.project_id, safe=""), quote(job.job_id, safe="")
    query = f"?{urlencode({'location': job.location})}" if job.location else ""
    return f"projects/{project}/jobs/{job_id}/cancel{query}"


_UNITS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_IUNITS = {"KI": 2**10, "MI": 2**20, "GI": 2**30, "TI": 2**40}


def parse_size(text: str) -> int:
    """``10GiB``, ``500MB``, ``1.5TB``, ``1000000``: bytes (KB=1000, KiB=1024)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]I?)?B?\s*", text.upper())
    if not match:
        raise ValueError(f"{text!r} is not a size (e.g. 10GiB, 500MB, 1TB)")
    number, unit = float(match.group(1)), match.group(2) or ""
    return int(number * (_IUNITS.get(unit) or _UNITS[unit]))


def format_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{count:,} B" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def estimated_price(count: int, price_per_tib: float) -> float:
    return count / 2**40 * price_per_tib
