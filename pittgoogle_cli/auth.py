"""Where a request's bearer token comes from.

For now: none for an emulator, else ``gcloud auth print-access-token`` (cached). The full
set of token sources (service-account keys, pgb's own login, ADC) replaces this module's
``default_token_source``; the rest of pgb only sees the ``TokenSource`` protocol.
"""

from __future__ import annotations

import shutil
import time

import anyio

from ._exceptions import AuthError
from ._http import NoCredentials, TokenSource

_GCLOUD_TOKEN_LIFETIME = 45 * 60  # gcloud's tokens last an hour; refresh well before


class GcloudTokenSource:
    """``gcloud auth print-access-token``, run once per ~45 minutes and shared by all requests."""

    def __init__(self) -> None:
        self._token: str | None = None
        self._expires = 0.0
        self._lock = anyio.Lock()

    async def token(self) -> str | None:
        async with self._lock:  # one refresh for every request in flight, not one each
            if self._token is None or time.monotonic() >= self._expires:
                self._token = await self._fetch()
                self._expires = time.monotonic() + _GCLOUD_TOKEN_LIFETIME
            return self._token

    async def invalidate(self, token: str) -> None:
        async with self._lock:
            if self._token == token:
                self._token = None

    @staticmethod
    async def _fetch() -> str:
        gcloud = shutil.which("gcloud")
        if gcloud is None:
            raise AuthError(
                "no credentials: install the gcloud CLI and run `gcloud auth login`, "
                "or set PUBSUB_EMULATOR_HOST to use a local emulator"
            )
        result = await anyio.run_process([gcloud, "auth", "print-access-token"], check=False)
        token = result.stdout.decode().strip()
        if result.returncode != 0 or not token:
            raise AuthError("gcloud has no usable login: run `gcloud auth login`")
        return token


def default_token_source(emulator: bool) -> TokenSource:
    return NoCredentials() if emulator else GcloudTokenSource()
