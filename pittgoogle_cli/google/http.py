"""The one place pgb talks HTTP: a base URL, a token, retries with backoff and jitter.

Errors come out as the classes in ``_exceptions``; nothing here puts a header (so no
token) into a message or a log line.
"""

from __future__ import annotations

import email.utils
import ssl
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

import httpx

from pittgoogle_cli._exceptions import (
    ApiError,
    PgbError,
    TransportError,
    Unauthenticated,
    error_class_for_status,
)
from pittgoogle_cli.google.buffers import BodyBuffers
from pittgoogle_cli.google.errors import parse_error
from pittgoogle_cli.google.gate import ReadGate
from pittgoogle_cli.google.retry import RetryPolicy, retrying

_MOST_PREALLOCATED = 64 << 20  # bytes: Pub/Sub's replies are at most ~10 MB


class TokenSource(Protocol):
    """Gives the bearer token for a request; ``None`` for an emulator (no credentials)."""

    async def token(self) -> str | None: ...

    async def invalidate(self, token: str) -> None:
        """The server rejected ``token`` (401): the next ``token()`` must be a new one."""


@runtime_checkable
class HeaderSource(Protocol):
    """A token source whose credentials need more headers on every request than the token
    (user credentials with a quota project send ``x-goog-user-project``)."""

    def extra_headers(self) -> Mapping[str, str]: ...


class NoCredentials:
    async def token(self) -> str | None:
        return None

    async def invalidate(self, token: str) -> None:
        return None


class _NoToken(Exception):
    """Carries a token source's error past ``retrying``: the source has retried already."""

    def __init__(self, error: PgbError) -> None:
        super().__init__(str(error))
        self.error = error


def _no_ca_bundle() -> ssl.SSLContext:
    """For a client of a plain-http root (an emulator): loading the CA bundle is ~50 ms of
    a start, for TLS it never speaks. Still verifying, with no CA to trust: were TLS ever
    asked of it, the handshake would fail rather than trust anyone."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class RestClient:
    """JSON-over-HTTP calls to one Google API root, e.g. ``https://pubsub.googleapis.com/v1``."""

    def __init__(
        self,
        base_url: str,
        *,
        tokens: TokenSource | None = None,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens or NoCredentials()
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            verify=_no_ca_bundle() if self.base_url.startswith("http://") else True,
        )
        self._retry = retry or RetryPolicy()
        self._headers = {"content-type": "application/json", **(headers or {})}
        self._credential_headers = (
            self._tokens.extra_headers if isinstance(self._tokens, HeaderSource) else None
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        gate: ReadGate | None = None,
        buffers: BodyBuffers | None = None,
    ) -> bytearray:
        """Send one request, retrying what is retriable; the reply body on 2xx. With a
        ``gate``, a 2xx body is read only once one of its tokens is taken, and the caller
        releases that token when done with what it read. With ``buffers``, a 2xx body is
        read into one of them, which the caller gives back once done with it."""
        refreshed = False

        async def send() -> bytearray:
            nonlocal refreshed
            token = await self._token()
            try:
                return await self._once(method, path, body, token, gate, buffers)
            except Unauthenticated:
                if refreshed or token is None:
                    raise
                refreshed = True  # one refresh and one retry, never a loop
                await self._tokens.invalidate(token)
            return await self._once(method, path, body, await self._token(), gate, buffers)

        try:
            return await retrying(send, self._retry)
        except _NoToken as failed:
            raise failed.error from None

    async def _token(self) -> str | None:
        try:
            return await self._tokens.token()
        except PgbError as exc:
            raise _NoToken(exc) from None

    async def _once(
        self,
        method: str,
        path: str,
        body: bytes | None,
        token: str | None,
        gate: ReadGate | None = None,
        buffers: BodyBuffers | None = None,
    ) -> bytearray:
        headers = dict(self._headers)
        if self._credential_headers is not None:  # headers given to the client win
            headers = {**self._credential_headers(), **headers}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        url = f"{self.base_url}/{path}"
        request = self._http.build_request(method, url, content=body, headers=headers)
        try:
            reply = await self._http.send(request, stream=True)
            try:
                taken = gate if gate is not None and reply.is_success else None
                if taken is not None:
                    await taken.acquire()  # until then the body waits in the socket
                try:
                    content = await _read_body(reply, buffers if reply.is_success else None)
                except BaseException:
                    if taken is not None:
                        taken.release()
                    raise
            finally:
                await reply.aclose()
        except httpx.TimeoutException:
            raise TransportError(f"{self._where()} timed out") from None
        except httpx.TransportError as exc:
            raise TransportError(f"cannot reach {self._where()}: {_describe(exc)}") from None
        if reply.is_success:
            return content
        raise _api_error(reply, content)

    def _where(self) -> str:
        return self.base_url.split("://", 1)[-1].split("/", 1)[0]


async def _read_body(reply: httpx.Response, buffers: BodyBuffers | None = None) -> bytearray:
    """The whole body in one buffer, sized from Content-Length when the body comes as
    sent: a 6 MB pull reply costs 6 MB, not its chunks plus their join; with ``buffers``,
    a buffer of an earlier reply. Read past the response object: httpx's response and its
    stream refer to each other, so a body kept on the response would wait for the cyclic
    garbage collector, and memory with it."""
    if reply.is_stream_consumed:  # read already (a transport that hands whole bodies)
        return bytearray(reply.content)
    size = _plain_length(reply)
    if size is None:
        parts = reply.aiter_bytes()  # decompressed, of a length not known up front
        body = bytearray() if buffers is None else buffers.take()
    else:
        parts = reply.aiter_raw()
        body = bytearray(size) if buffers is None else buffers.take(size)
    filled = 0
    async for part in parts:
        # In place within the buffer; past its end (a longer body than the last, or than
        # announced, which h11 refuses anyway) the slice grows it: a large buffer is its
        # own mapping, grown by mremap, not copied.
        body[filled : filled + len(part)] = part
        filled += len(part)
    del body[filled:]  # the rest of a kept buffer, or fewer bytes than announced
    return body


def _plain_length(reply: httpx.Response) -> int | None:
    """Content-Length, when the bytes on the wire are the body itself (no gzip)."""
    if reply.headers.get("content-encoding", "identity").strip().lower() != "identity":
        return None
    value = reply.headers.get("content-length", "")
    if not value.isdigit() or int(value) > _MOST_PREALLOCATED:
        return None  # a length no reply has is not trusted with memory up front
    return int(value)


def _api_error(reply: httpx.Response, content: bytes | bytearray) -> ApiError:
    error = parse_error(content)
    message = error.message if error else ""
    if not message:
        message = reply.reason_phrase or f"HTTP {reply.status_code}"
    cls = error_class_for_status(reply.status_code)
    reason = error.status if error else ""
    retry_after = retry_after_seconds(reply.headers.get("retry-after"))
    return cls(message, status=reply.status_code, reason=reason, retry_after=retry_after)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After``: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _describe(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower() or isinstance(exc, httpx.ConnectError):
        return f"connection refused or failed ({text})"
    return text
