"""``pgb auth login``: Google's installed-app flow with a loopback redirect and PKCE (S256).

pgb listens on 127.0.0.1, sends the browser to Google's consent page, and Google sends it
back to ``http://127.0.0.1:PORT/?code=...&state=...``; Authlib checks the state and trades
the code (with the PKCE verifier) for a refresh token, which goes to the token cache.
Google blocks the copy-paste flow and refuses the device flow for these scopes, so on a
machine without a browser the loopback port is forwarded over SSH instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc
from authlib.common.security import generate_token  # type: ignore[import-untyped]

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import AuthError
from pittgoogle_cli.auth.cache import Login, cache_path, read_login, write_login
from pittgoogle_cli.auth.credentials import UserCredentials
from pittgoogle_cli.auth.oauth import (
    API_SCOPES,
    AUTH_URI,
    EMAIL_SCOPE,
    REVOKE_URI,
    TOKEN_URI,
    AccessToken,
    AsyncOAuth2Client,
    client_options,
    describe_oauth_error,
    fetch_userinfo_email,
    google_errors,
)

# The e-mail scope only lets `pgb auth status` say which account is logged in.
LOGIN_SCOPES = (*API_SCOPES, "openid", EMAIL_SCOPE)
_ENV_NAMES = (
    ("PGB_OAUTH_CLIENT_ID", "PGB_OAUTH_CLIENT_SECRET"),
    ("PITTGOOGLE_OAUTH_CLIENT_ID", "PITTGOOGLE_OAUTH_CLIENT_SECRET"),  # the old TOM module's
)
_REPLY = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\nconnection: close\r\n\r\n"
    b"<!doctype html><title>pgb</title><p>%s You can close this tab.</p>"
)


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """pgb's OAuth client ("Desktop app" in the Google Cloud console)."""

    client_id: str
    client_secret: str = field(repr=False)


def oauth_client() -> OAuthClient:
    """The client id and secret from the environment, else from ``config.toml`` (its profile,
    its top level, or the older ``[oauth]`` table)."""
    for id_name, secret_name in _ENV_NAMES:
        if client_id := os.environ.get(id_name):
            if not (secret := os.environ.get(secret_name, "")):
                raise AuthError(f"{id_name} is set but {secret_name} is not: set both")
            return OAuthClient(client_id, secret)
    from_file, file_secret = config.text("oauth_client_id"), config.text("oauth_client_secret")
    if not (from_file and file_secret):
        raise AuthError(
            "no OAuth client id for `pgb auth login`: with no set-up at all, run "
            "`gcloud auth application-default login` instead (pgb uses that login); or set "
            "PGB_OAUTH_CLIENT_ID and PGB_OAUTH_CLIENT_SECRET, or `pgb config set "
            f"oauth_client_id ID` and oauth_client_secret (in {config.config_path()})"
        )
    return OAuthClient(from_file, file_secret)


def ssh_hint(port: int) -> str:
    return (
        f"on a machine without a browser, forward the port from your own computer with "
        f"`ssh -N -L {port}:localhost:{port} USER@THIS-HOST`, then open the URL there "
        "(`pgb auth login --no-browser --port N` picks the port)"
    )


async def login(
    client: OAuthClient,
    *,
    open_browser: Callable[[str], object] | None,
    tell: Callable[[str], None],
    port: int = 0,
    wait: float = 300.0,
) -> Login:
    """Run the flow, save the login to the token cache and return it.

    ``open_browser(url)`` is ``webbrowser.open`` from the CLI, ``None`` with --no-browser;
    ``tell`` shows the user a line (stderr).
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    async with listener:
        socket = listener.listeners[0]
        assert isinstance(socket, anyio.abc.SocketListener)  # one address: one socket
        port = socket.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610
        redirect_uri = f"http://127.0.0.1:{port}/"
        oauth = AsyncOAuth2Client(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=" ".join(LOGIN_SCOPES),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",  # noqa: S106
            **client_options(),
        )
        async with oauth:
            verifier = generate_token(64)
            url, state = oauth.create_authorization_url(
                AUTH_URI, code_verifier=verifier, access_type="offline", prompt="consent"
            )
            tell(f"open this URL to log in to Google:\n\n    {url}\n")
            if open_browser is None or not open_browser(url):
                tell(ssh_hint(port))
            target = None
            with anyio.move_on_after(wait):
                target = await _wait_for_redirect(socket)
            if target is None:
                raise AuthError(
                    f"no answer from the browser within {wait:.0f} s: run `pgb auth login` again"
                )
            params = parse_qs(urlsplit(target).query)
            if "error" in params:
                raise AuthError(f"the login was not completed ({params['error'][0]}); try again")
            secrets = (client.client_secret, verifier)
            with google_errors(_explain_exchange, secrets):
                reply = await oauth.fetch_token(
                    TOKEN_URI,
                    authorization_response=redirect_uri.rstrip("/") + target,
                    state=state,
                    code_verifier=verifier,
                )
    return await _save(client, reply)


async def _save(client: OAuthClient, reply: dict[str, object]) -> Login:
    refresh_token = reply.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise AuthError("Google sent no refresh token; run `pgb auth login` again")
    access = AccessToken.from_reply(reply)
    user = UserCredentials(client.client_id, client.client_secret, refresh_token, TOKEN_URI)
    account = await fetch_userinfo_email(access.value)
    login = Login(user, account, access.scopes or LOGIN_SCOPES, access)
    return replace(login, user=replace(user, path=write_login(login)))


def _explain_exchange(error: str, description: str) -> str:
    if error == "mismatching_state":
        return "the browser came back with another login's state: run `pgb auth login` again"
    what = describe_oauth_error(error, description)
    return f"Google refused the login ({what}): run `pgb auth login` again"


async def _wait_for_redirect(socket: anyio.abc.SocketListener) -> str:
    """The path and query of the first request that carries ``code`` or ``error``."""
    while True:
        async with await socket.accept() as stream:
            try:
                target = await _read_request_target(stream)
                query = parse_qs(urlsplit(target).query) if target else {}
                if "code" not in query and "error" not in query:  # a favicon, a probe...
                    await stream.send(b"HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n")
                    continue
                done = b"pgb is logged in." if "code" in query else b"The login was cancelled."
                await stream.send(_REPLY % done)
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                continue  # the browser hung up; wait for the next request
            return target


async def _read_request_target(stream: anyio.abc.SocketStream) -> str:
    request = b""
    with anyio.move_on_after(10):
        while b"\r\n\r\n" not in request and len(request) < 16384:
            request += await stream.receive()
    return _request_target(request)


def _request_target(request: bytes) -> str:
    parts = request.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return ""
    return parts[1].decode("latin-1")


async def logout() -> tuple[Path | None, str | None]:
    """Revoke pgb's login at Google and delete it: (deleted file or None, a problem or None)."""
    try:
        login = read_login()
    except AuthError as exc:  # a damaged file: nothing to revoke with, delete it all the same
        cache_path().unlink(missing_ok=True)
        return cache_path(), str(exc)
    if login is None or login.user.path is None:
        return None, None
    problem = None
    try:
        await revoke(login.user)
    except Exception as exc:  # the login is deleted here whatever Google says
        problem = str(exc) if isinstance(exc, AuthError) else type(exc).__name__
    login.user.path.unlink(missing_ok=True)
    return login.user.path, problem


async def revoke(user: UserCredentials) -> None:
    """Revoke the refresh token (and with it every access token it gave)."""
    oauth = AsyncOAuth2Client(
        client_id=user.client_id,
        client_secret=user.client_secret,
        revocation_endpoint_auth_method="client_secret_post",
        **client_options(),
    )
    with google_errors(lambda e, d: f"Google did not revoke the login ({e})", user.secrets):
        async with oauth:
            reply = await oauth.revoke_token(
                REVOKE_URI,
                token=user.refresh_token,
                token_type_hint="refresh_token",  # noqa: S106
            )
    if reply.status_code == 400:
        return  # invalid_token: already revoked or expired, which is what we wanted
    if not reply.is_success:
        raise AuthError(f"Google did not revoke the login (HTTP {reply.status_code})")
