"""Authlib 1.9 prefers its httpx fork ("httpx2") and switches to it silently when it is
installed; pgb's tests (respx, mounted transports) and its pinned httpx would then be
bypassed. These tests fail loudly if that ever happens."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings

import anyio
import httpx

from pittgoogle_cli.auth import oauth as google_oauth


def test_authlib_clients_are_built_on_the_real_httpx():
    for client in (google_oauth.AsyncOAuth2Client, google_oauth.AsyncAssertionClient):
        assert issubclass(client, httpx.AsyncClient), client.__mro__
        bases = [c for c in client.__mro__ if c.__name__ == "AsyncClient"]
        assert [c.__module__.split(".")[0] for c in bases] == ["httpx"]


def test_the_httpx_fork_is_not_installed():
    assert importlib.util.find_spec("httpx2") is None, "Authlib would use httpx2, not httpx"


def test_the_deprecation_warning_is_handled_deliberately():
    from authlib.integrations.httpx_client import _compat

    assert _compat.httpx2 is httpx
    # Authlib still warns (it would not, once it had switched to the fork) ...
    bare = run_python("import authlib.integrations.httpx_client")
    assert b"AuthlibDeprecationWarning: The httpx module is deprecated" in bare.stderr
    # ... and pgb silences exactly that warning, only around its own import.
    ours = run_python("import pittgoogle_cli.cli")
    assert (ours.returncode, ours.stderr) == (0, b"")
    assert not any(
        f[0] == "ignore" and f[1] is not None and "httpx module" in f[1].pattern
        for f in warnings.filters
    )


def run_python(code: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, timeout=60
    )


def test_a_mounted_transport_sees_authlib_requests():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"access_token": "t", "expires_in": 60})

    async def main() -> None:
        client = google_oauth.AsyncOAuth2Client(
            client_id="c", client_secret="s", mounts={"https://": httpx.MockTransport(handler)}
        )
        async with client:
            await client.refresh_token(google_oauth.TOKEN_URI, refresh_token="r")

    anyio.run(main)
    assert seen == [google_oauth.TOKEN_URI]
