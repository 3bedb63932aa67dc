"""Token sources: where a request's bearer token comes from, and when it is renewed.

Each source keeps one access token, shared by every request in flight. It is renewed under a
lock shortly before it expires and after a 401 (``invalidate``), so however many requests
wait, Google sees one grant. The grants themselves are Authlib's.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping

import anyio

from pittgoogle_cli._exceptions import AuthError, PgbError
from pittgoogle_cli.auth.cache import Login, write_login
from pittgoogle_cli.auth.credentials import ServiceAccountKey, UserCredentials
from pittgoogle_cli.auth.oauth import (
    API_SCOPES,
    AccessToken,
    AsyncAssertionClient,
    AsyncOAuth2Client,
    client_options,
    describe_oauth_error,
    google_errors,
)
from pittgoogle_cli.google.retry import RetryPolicy, retrying

# Google's access tokens last an hour; one with less than this left is renewed first, so a
# request never leaves with a token that expires on the way.
REFRESH_LEEWAY = 240.0
_LAST_MOMENT = 30.0  # a token this close to expiry is not used while Google is unreachable
_RETRY_EARLY_RENEWAL = 15.0
_GCLOUD_TOKEN_LIFETIME = 45 * 60  # gcloud does not say; its tokens last an hour


class RefreshingTokenSource(ABC):
    """One shared access token, renewed by ``_fetch`` under a lock."""

    label: str = "credentials"  # for `pgb auth status`
    account: str | None = None
    project: str | None = None  # the project these credentials suggest, if any

    retry = RetryPolicy(attempts=3)

    def __init__(self, current: AccessToken | None = None) -> None:
        self._lock = anyio.Lock()
        self.current = current
        self._next_try = 0.0  # after a failed early renewal, when to try again

    async def token(self) -> str:
        async with self._lock:  # one refresh for every request in flight, not one each
            current = self.current
            if self._due(current):
                current = self.current = await self._renew(current)
            assert current is not None
            return current.value

    def _due(self, current: AccessToken | None) -> bool:
        if current is None or current.expires_within(_LAST_MOMENT):
            return True
        return current.expires_within(REFRESH_LEEWAY) and time.monotonic() >= self._next_try

    async def _renew(self, current: AccessToken | None) -> AccessToken:
        """A new token; if Google is briefly unavailable, the current one while it lasts."""

        def keep_current(error: PgbError) -> AccessToken | None:
            if current is None or current.expires_within(_LAST_MOMENT):
                return None
            self._next_try = time.monotonic() + _RETRY_EARLY_RENEWAL
            return current

        return await retrying(self._fetch, self.retry, instead=keep_current)

    async def invalidate(self, token: str) -> None:
        async with self._lock:
            if self.current is not None and self.current.value == token:
                self.current = None

    def extra_headers(self) -> Mapping[str, str]:
        """Headers every API request needs with these credentials (see ``RestClient``)."""
        return {}

    @abstractmethod
    async def _fetch(self) -> AccessToken: ...


class ServiceAccountTokenSource(RefreshingTokenSource):
    """A service-account key: a signed JWT exchanged for a token (RFC 7523 JWT-bearer)."""

    def __init__(self, key: ServiceAccountKey, scopes: tuple[str, ...] = API_SCOPES) -> None:
        super().__init__()
        self.key = key
        self.scopes = scopes
        self.label = f"service-account key {key.path}"
        self.account = key.client_email
        self.project = key.project_id

    async def _fetch(self) -> AccessToken:
        key = self.key
        header = {"alg": "RS256", **({"kid": key.private_key_id} if key.private_key_id else {})}
        client = AsyncAssertionClient(
            token_endpoint=key.token_uri,
            issuer=key.client_email,
            subject=None,
            audience=key.token_uri,
            claims={"scope": " ".join(self.scopes)},  # Google reads scopes from the JWT
            key=key.private_key,
            header=header,
            **client_options(),
        )
        with google_errors(self._explain):
            async with client:
                return AccessToken.from_reply(await client.refresh_token())

    def _explain(self, error: str, description: str) -> str:
        return (
            f"Google refused the service-account key {self.key.path} for "
            f"{self.key.client_email} ({describe_oauth_error(error, description)}): the key "
            "may have been deleted or the account disabled; create a new key"
        )


class UserTokenSource(RefreshingTokenSource):
    """A user's refresh token (gcloud's application-default credentials): refresh grant."""

    def __init__(self, user: UserCredentials, *, current: AccessToken | None = None) -> None:
        super().__init__(current)
        self.user = user
        self.label = f"gcloud application-default credentials {user.path}"
        self.project = user.quota_project

    def extra_headers(self) -> Mapping[str, str]:
        # Google bills user credentials' API calls to the quota project, and some APIs refuse
        # user credentials from gcloud's OAuth client without one.
        if self.user.quota_project:
            return {"x-goog-user-project": self.user.quota_project}
        return {}

    async def _fetch(self) -> AccessToken:
        user = self.user
        client = AsyncOAuth2Client(
            client_id=user.client_id,
            client_secret=user.client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106
            **client_options(),
        )
        with google_errors(self._explain, user.secrets):
            async with client:
                reply = await client.refresh_token(user.token_uri, refresh_token=user.refresh_token)
        return AccessToken.from_reply(reply)

    def _explain(self, error: str, description: str) -> str:
        what = describe_oauth_error(error, description)
        return (
            f"gcloud's application-default login no longer works ({what}): run "
            "`gcloud auth application-default login` or `pgb auth login`"
        )


class LoginTokenSource(UserTokenSource):
    """pgb's own login; a new access token is written back to the cache for the next run."""

    def __init__(self, login: Login) -> None:
        super().__init__(login.user, current=login.access)
        self.login = login
        self.label = f"pgb login {login.user.path}"
        self.account = login.account
        self.project = None

    def extra_headers(self) -> Mapping[str, str]:
        return {}  # pgb's own OAuth client has a project: no quota project needed

    async def _fetch(self) -> AccessToken:
        access = await super()._fetch()
        self.login = Login(self.login.user, self.login.account, self.login.scopes, access)
        with contextlib.suppress(OSError):  # a read-only home: refresh again next run
            write_login(self.login, self.login.user.path)
        return access

    def _explain(self, error: str, description: str) -> str:
        if error == "invalid_grant":
            return "your pgb login has expired or was revoked: run `pgb auth login`"
        what = describe_oauth_error(error, description)
        return f"Google refused pgb's login ({what}): run `pgb auth login`"


class GcloudTokenSource(RefreshingTokenSource):
    """``gcloud auth print-access-token``, the last resort."""

    label = "gcloud auth print-access-token"

    def __init__(self, gcloud: str | None = None) -> None:
        super().__init__()
        self.gcloud = gcloud or shutil.which("gcloud")

    async def _fetch(self) -> AccessToken:
        if self.gcloud is None:
            raise AuthError(
                "no Google credentials: run `pgb auth login`, or pass a service-account key "
                "with --credentials, or set PUBSUB_EMULATOR_HOST to use a local emulator"
            )
        command = [self.gcloud, "auth", "print-access-token"]
        result = None
        with anyio.move_on_after(60):
            result = await anyio.run_process(command, check=False)
        token = result.stdout.decode().strip() if result is not None else ""
        if result is None or result.returncode != 0 or not token:
            raise AuthError(
                "gcloud has no usable login: run `gcloud auth application-default login` "
                "(or `gcloud auth login`, or `pgb auth login`)"
            )
        return AccessToken(token, time.time() + _GCLOUD_TOKEN_LIFETIME)
