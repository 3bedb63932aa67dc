"""BigQuery over REST: the cost estimate, the job, and its rows page by page.

    query = alerts_query(TableId.parse(DEFAULT_TABLE), object_ids=["ZTF18abcdefg"])
    async with BigQueryClient("my-project") as bq:
        estimate = await bq.estimate(query, max_bytes=10 * 2**30)  # or CostTooHigh
        async with bq.query(query, max_bytes=10 * 2**30) as result:
            async for row in result:
                ...

At most two pages of rows are held at a time (the one being read and the next), whatever
the size of the result. With
``BIGQUERY_EMULATOR_HOST=host:port`` every call goes to that emulator, without credentials.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError, CostTooHigh, PgbError
from pittgoogle_cli.bigquery.pager import Pages, QueryResult, checked
from pittgoogle_cli.bigquery.rest import (
    PRICE_PER_TIB_USD,
    JobReference,
    QueryReply,
    api_root,
    cancel_path,
    estimated_price,
    format_bytes,
    parse_reply,
    query_body,
    query_path,
    reply_error,
    results_path,
)
from pittgoogle_cli.bigquery.sql import Query, without_limit
from pittgoogle_cli.google.http import RestClient, TokenSource, retry_after_seconds
from pittgoogle_cli.google.retry import RetryPolicy

EMULATOR_ENV = "BIGQUERY_EMULATOR_HOST"


async def _raise_bigquery_error(response: httpx.Response) -> None:
    """Turn an error reply into pgb's error before ``RestClient`` sees it, so that the
    retry loop reads BigQuery's ``reason`` (a 403 ``rateLimitExceeded`` is retried, a 403
    ``accessDenied`` is not) rather than the bare HTTP status."""
    if response.is_success:
        return
    await response.aread()
    wait = retry_after_seconds(response.headers.get("retry-after"))
    raise reply_error(response.status_code, response.content, response.reason_phrase, wait)


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a dry run says a query will scan, and what that costs on demand."""

    bytes: int
    price_usd: float
    price_per_tib: float
    # With --max: does dropping the LIMIT scan the same bytes? (None: not asked)
    limit_saves_nothing: bool | None = None

    def describe(self) -> str:
        return (
            f"this query will scan {format_bytes(self.bytes)} "
            f"(about ${self.price_usd:.2f} on demand at ${self.price_per_tib:g}/TiB)"
        )


class BigQueryClient:
    """jobs.query and getQueryResults for one billing ``project``."""

    def __init__(
        self,
        project: str | None,
        *,
        emulator_host: str | None = None,
        tokens: TokenSource | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        credentials: Path | None = None,
    ) -> None:
        if emulator_host is None:
            emulator_host = os.environ.get(EMULATOR_ENV) or None
        self.emulator = emulator_host is not None
        project = config.text("project", project)
        if tokens is None and not self.emulator:
            from pittgoogle_cli.auth.resolve import (  # only off the emulator
                default_token_source,
                resolve_project,
            )

            project = resolve_project(project, credentials=credentials)
            tokens = default_token_source(False, credentials=credentials, project=project)
        if not project:
            raise ConfigError(
                "no Google Cloud project to run the query in (and pay for it): "
                "pass --project, set GOOGLE_CLOUD_PROJECT, or `pgb config set project ID`"
            )
        self.project = project
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(60.0, connect=10.0),
            event_hooks={"response": [_raise_bigquery_error]},
        )
        self._rest = RestClient(
            api_root(emulator_host), tokens=tokens, http=self._http, retry=retry
        )

    async def __aenter__(self) -> BigQueryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def dry_run(self, query: Query) -> QueryReply:
        """What BigQuery would do (bytes, schema), free of charge."""
        body = query_body(query, dry_run=True)
        return checked(parse_reply(await self._rest.call("POST", query_path(self.project), body)))

    async def estimate(
        self, query: Query, *, max_bytes: int | None, price_per_tib: float = PRICE_PER_TIB_USD
    ) -> Estimate:
        """Dry-run ``query``; ``CostTooHigh`` when it would scan more than ``max_bytes``."""
        scanned = (await self.dry_run(query)).bytes_processed
        saves_nothing = None
        if query.limit is not None:
            unlimited = (await self.dry_run(without_limit(query))).bytes_processed
            saves_nothing = unlimited <= scanned
        estimate = Estimate(
            scanned, estimated_price(scanned, price_per_tib), price_per_tib, saves_nothing
        )
        if max_bytes is not None and scanned > max_bytes:
            raise CostTooHigh(
                f"{estimate.describe()}, more than the cap of {format_bytes(max_bytes)}: "
                f"raise it with --max-bytes (e.g. --max-bytes {_round_up_gib(scanned)}GiB)"
            )
        return estimate

    def query(
        self,
        query: Query,
        *,
        max_bytes: int | None = None,
        max_rows: int | None = None,
        page_size: int | None = None,
        int64_as_string: bool = False,
    ) -> QueryResult:
        """``async with bq.query(q) as result: async for row in result: ...``"""
        pages = Pages(self, query, max_bytes=max_bytes, max_rows=max_rows, page_size=page_size)
        return QueryResult(pages, max_rows=max_rows, int64_as_string=int64_as_string)

    async def start(self, query: Query, max_bytes: int | None, page_size: int | None) -> QueryReply:
        """jobs.query: starts the job; its reply may hold the first page already."""
        body = query_body(query, max_bytes=max_bytes, page_size=page_size)
        return parse_reply(await self._rest.call("POST", query_path(self.project), body))

    async def results(
        self, job: JobReference, page_token: str | None, page_size: int | None
    ) -> QueryReply:
        """getQueryResults: waits for the job (up to 10 s), then gives one page."""
        path = results_path(job, page_token=page_token, page_size=page_size)
        return parse_reply(await self._rest.call("GET", path))

    async def cancel(self, job: JobReference) -> None:
        """jobs.cancel, best effort: the job may have finished meanwhile."""
        with contextlib.suppress(PgbError):
            await self._rest.call("POST", cancel_path(job), b"")


def _round_up_gib(count: int) -> int:
    return -(-count // 2**30)
