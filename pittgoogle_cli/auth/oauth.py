"""Google's OAuth 2.0 endpoints, spoken through Authlib's httpx clients.

Every grant goes through Authlib (no hand-written OAuth or JWT). Whatever goes wrong comes
out as an ``AuthError`` (or a retriable ``ServerError``/``TransportError``) whose message
names the problem and the fix and never carries a token, a refresh token, a key or a client
secret: Authlib's and httpx's exceptions are translated and raised ``from None`` so their
context is not printed either.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import authlib.deprecate  # type: ignore[import-untyped]
import httpx
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]

from pittgoogle_cli._exceptions import AuthError, PgbError, ServerError, TransportError

with warnings.catch_warnings():
    # Authlib 1.9 warns on import that plain httpx is deprecated in favour of its fork
    # "httpx2", and uses the fork instead whenever it is installed. pgb pins authlib<1.10 and
    # httpx 0.28 and wants plain httpx (respx and our transports see its requests), so this
    # one warning is expected; tests/auth/test_authlib_httpx.py fails if the switch happens.
    warnings.filterwarnings(
        "ignore",
        message="The httpx module is deprecated",
        category=authlib.deprecate.AuthlibDeprecationWarning,
    )
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncAssertionClient,
        AsyncOAuth2Client,
        OAuthError,
    )

TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105  (a URL)
REVOKE_URI = "https://oauth2.googleapis.com/revoke"
AUTH_URI = "https://accounts.google.com/o/oauth2/v2/auth"
USERINFO_URI = "https://openidconnect.googleapis.com/v1/userinfo"

PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub"
BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery"
EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"
API_SCOPES = (PUBSUB_SCOPE, BIGQUERY_SCOPE)

# httpx transports by URL prefix for every OAuth client pgb makes; empty means the network.
# Tests mount a local token endpoint here so the real Google URLs stay in the code.
MOUNTS: dict[str, httpx.AsyncBaseTransport] = {}

__all__ = ["AsyncAssertionClient", "AsyncOAuth2Client", "OAuthError"]


def client_options() -> dict[str, Any]:
    """The httpx settings for an Authlib client."""
    return {"timeout": httpx.Timeout(30.0, connect=10.0), "mounts": dict(MOUNTS)}


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and what Google said about it; the value never shows in a repr."""

    value: str = field(repr=False)
    expires_at: float | None  # seconds since the epoch; None: unknown
    scopes: tuple[str, ...] = ()

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at is not None and self.expires_at - time.time() < seconds

    @classmethod
    def from_reply(cls, token: Mapping[str, Any]) -> AccessToken:
        value = token.get("access_token")
        if not isinstance(value, str) or not value:
            raise AuthError("Google's token endpoint answered without an access token")
        expires_at: float | None = None
        try:
            if token.get("expires_in") is not None:
                expires_at = time.time() + float(token["expires_in"])
            elif token.get("expires_at") is not None:
                expires_at = float(token["expires_at"])
        except (TypeError, ValueError):
            expires_at = None  # unknown: renewed after a 401 only
        return cls(value, expires_at, tuple(str(token.get("scope") or "").split()))


def redact(text: str, secrets: Iterator[str] | tuple[str, ...]) -> str:
    """``text`` with every (non-trivial) secret replaced: a server may echo what it got."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, "[redacted]")
    return text


@contextmanager
def google_errors(
    explain: Callable[[str, str], str], secrets: tuple[str, ...] = ()
) -> Iterator[None]:
    """Turn Authlib's and httpx's exceptions into one-line pgb errors.

    ``explain(error, description)`` says what an OAuth error reply means for the user and
    what to do next; nothing from the request (so no credential) reaches the message.
    """
    try:
        yield
    except PgbError:
        raise
    except AuthlibBaseError as exc:  # an error reply, or a redirect with the wrong state
        message = explain(str(exc.error), str(exc.description or ""))
        raise AuthError(redact(message, secrets)) from None
    except httpx.HTTPStatusError as exc:  # a 5xx, or a reply that is not OAuth's JSON
        status = exc.response.status_code
        message = f"{_host(exc)} answered HTTP {status}; try again later"
        if status >= 500 or status == 429:
            raise ServerError(message, status=status) from None
        raise AuthError(message) from None
    except httpx.TransportError as exc:
        raise TransportError(f"cannot reach {_host(exc)} ({type(exc).__name__})") from None


def _host(exc: httpx.HTTPError) -> str:
    try:
        return exc.request.url.host
    except RuntimeError:  # raised without a request
        return "Google's OAuth server"


def describe_oauth_error(error: str, description: str) -> str:
    return f"{error}: {description}" if description else error


async def fetch_userinfo_email(token: str) -> str | None:
    """The account's e-mail address, when the token carries the e-mail scope."""
    headers = {"authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(**client_options()) as http:
            reply = await http.get(USERINFO_URI, headers=headers)
    except httpx.HTTPError:
        return None
    if not reply.is_success:
        return None
    try:
        email = reply.json().get("email")
    except ValueError:
        return None
    return email if isinstance(email, str) else None
