"""A query's result, page by page: one task fetches, the reader converts.

While the reader converts and writes page n, page n+1 is already on its way (BigQuery
and the emulator both spend real time building a page). At most two pages are held: the
one being read and the next one. Leaving early (``--max``, an error, Ctrl-C) stops the
fetching; a job still running then is cancelled, so it stops being billed.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Protocol

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pittgoogle_cli._exceptions import MalformedReply, PgbError, sole_error
from pittgoogle_cli.bigquery.rest import JobReference, QueryReply, job_error
from pittgoogle_cli.bigquery.rows import Field, RowConverter, row_converter
from pittgoogle_cli.bigquery.sql import Query
from pittgoogle_cli.packets.cache import BoundedCache

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

# A small first page: the first rows sooner; then pages as large as the server likes.
FIRST_PAGE_ROWS = 1000


class JobClient(Protocol):
    """The calls ``Pages`` makes (``BigQueryClient`` has them), so that this module needs
    no import of the client, which imports it."""

    async def start(
        self, query: Query, max_bytes: int | None, page_size: int | None
    ) -> QueryReply: ...

    async def results(
        self, job: JobReference, page_token: str | None, page_size: int | None
    ) -> QueryReply: ...

    async def cancel(self, job: JobReference) -> None: ...


def checked(reply: QueryReply) -> QueryReply:
    """The reply, or the error of the failed job it reports."""
    failure = reply.failure()
    if failure is not None:
        raise job_error(failure)
    return reply


class Pages:
    """Runs the job and fetches its replies in order, as many rows as ``max_rows`` needs
    (and one more, which tells a truncated result from one that ended there)."""

    def __init__(
        self,
        client: JobClient,
        query: Query,
        *,
        max_bytes: int | None,
        max_rows: int | None,
        page_size: int | None,
    ) -> None:
        self._client = client
        self._query = query
        self._max_bytes = max_bytes
        self._max_rows = max_rows
        self._page_size = page_size
        self.job: JobReference | None = None

    async def send_all(self, send: MemoryObjectSendStream[QueryReply]) -> None:
        async with send:
            fetched = 0
            reply = await self._client.start(self._query, self._max_bytes, self._size(fetched))
            while True:
                reply = await self._completed(reply)
                await send.send(reply)
                fetched += len(reply.rows)
                done = self._max_rows is not None and fetched > self._max_rows
                if done or not reply.page_token:
                    return
                job, size = self._job(reply), self._size(fetched)
                reply = await self._client.results(job, reply.page_token, size)

    async def _completed(self, reply: QueryReply) -> QueryReply:
        """The reply once the job is done; a job given up while running is cancelled."""
        if reply.job_complete or reply.failure() is not None:
            return checked(reply)
        job = self._job(reply)
        try:
            return await self._poll(job)
        except PgbError:
            raise
        except BaseException:  # cancelled, or Ctrl-C: stop the job, and its billing
            with anyio.move_on_after(5, shield=True):
                await self._client.cancel(job)
            raise

    async def _poll(self, job: JobReference) -> QueryReply:
        """getQueryResults (which itself waits up to 10 s a call) until the job is done."""
        pause = 0.05
        while True:
            await anyio.sleep(pause)  # only matters if a server answers before its timeout
            pause = min(pause * 2, 1.0)
            reply = checked(await self._client.results(job, None, self._size(0)))
            if reply.job_complete:
                return reply

    def _job(self, reply: QueryReply) -> JobReference:
        job = reply.job_reference or self.job
        if job is None or not job.job_id:
            raise MalformedReply("BigQuery's reply names no job to fetch the results of")
        self.job = job
        return job

    def _size(self, fetched: int) -> int | None:
        size = self._page_size
        if self.job is None:
            size = min(size or FIRST_PAGE_ROWS, FIRST_PAGE_ROWS)
        if self._max_rows is None:
            return size
        room = self._max_rows - fetched + 1
        return room if size is None else min(size, room)


class QueryResult:
    """One query's rows, converted with the result's schema::

        async with bq.query(query) as result:
            async for row in result:        # or: async for page in result.pages()
                ...

    Then ``rows_read``, ``total_rows`` (BigQuery's count of the whole result) and
    ``truncated`` (``max_rows`` stopped it before the end).
    """

    def __init__(self, pages: Pages, *, max_rows: int | None, int64_as_string: bool) -> None:
        self._source = pages
        self._max_rows = max_rows
        # One converter per result schema (a later page may leave the schema out).
        self._converter: BoundedCache[tuple[Field, ...], RowConverter] = BoundedCache(
            lambda fields: row_converter(fields, int64_as_string)
        )
        self._replies: MemoryObjectReceiveStream[QueryReply] | None = None
        self._group: TaskGroup | None = None
        self.fields: tuple[Field, ...] = ()
        self.rows_read = 0
        self.total_rows: int | None = None
        self.truncated = False

    @property
    def job(self) -> JobReference | None:
        return self._source.job

    async def __aenter__(self) -> QueryResult:
        # No buffer: page n+1 is fetched while page n is read, and no further ahead.
        send, self._replies = anyio.create_memory_object_stream[QueryReply](0)
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(self._source.send_all, send)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._group is not None and self._replies is not None
        self._group.cancel_scope.cancel()  # the reader is done: no more pages
        self._replies.close()
        try:
            return await self._group.__aexit__(kind, exc, tb)
        except BaseExceptionGroup as group:
            error = sole_error(group)  # the one error, not anyio's wrapping of it
            if error is None:
                raise
        raise error  # out of the handler: the error keeps its own cause

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        async for page in self.pages():
            for row in page:
                yield row

    async def pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page of rows as it arrives."""
        if self._replies is None:
            raise RuntimeError("use `async with bq.query(...) as result:` first")
        async for reply in self._replies:
            page = self._take(reply)
            if page:
                yield page
            if self._max_rows is not None and self.rows_read >= self._max_rows:
                return

    def _take(self, reply: QueryReply) -> list[dict[str, Any]]:
        if reply.total_rows is not None:
            self.total_rows = int(reply.total_rows)
        self.fields = reply.fields or self.fields  # a later page may leave the schema out
        rows = reply.rows
        if self._max_rows is not None:
            room = self._max_rows - self.rows_read
            if len(rows) >= room:
                if self.total_rows is not None:
                    self.truncated = self.total_rows > self._max_rows
                else:
                    self.truncated = len(rows) > room or reply.page_token is not None
                rows = rows[:room]
        convert = self._converter(self.fields)
        self.rows_read += len(rows)
        return [convert(row) for row in rows]
