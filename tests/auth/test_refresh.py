"""Tokens are renewed shortly before they expire and once after a 401, with one grant for
every request in flight; a ``pgb pull`` whose token expires mid-stream keeps going."""

from __future__ import annotations

import gc
import json
import stat
import time

import anyio
import httpx
import orjson
import pytest
import respx
from typer.testing import CliRunner

from pittgoogle_cli import Unauthenticated, Unreachable
from pittgoogle_cli.auth import oauth as google_oauth
from pittgoogle_cli.auth.cache import Login, cache_path, read_login, write_login
from pittgoogle_cli.auth.credentials import UserCredentials
from pittgoogle_cli.auth.oauth import AccessToken
from pittgoogle_cli.auth.resolve import default_token_source, find_token_source
from pittgoogle_cli.auth.tokens import REFRESH_LEEWAY
from pittgoogle_cli.pubsub import subscriber
from pittgoogle_cli.pubsub.rest import subscription_name
from pittgoogle_cli.pubsub.subscriber import Subscriber, pubsub_client

from ..conftest import PROJECT, Channel
from .conftest import CLIENT_ID, CLIENT_SECRET, KeyFile, invoke
from .fake_google import FakeGoogle

PULL_URL = "https://pubsub.googleapis.com/v1/projects/my-project/subscriptions/ztf-loop:pull"
UNAUTHENTICATED = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials.",
        "status": "UNAUTHENTICATED",
    }
}


def bearer(request: httpx.Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ")


def test_one_refresh_for_every_request_in_flight(google: FakeGoogle, key_file: KeyFile):
    google.lifetimes = [int(REFRESH_LEEWAY) - 30]  # the first token is already due

    async def main() -> tuple[str, set[str]]:
        source = find_token_source(key_file.path)
        first = await source.token()
        got: set[str] = set()

        async def one() -> None:
            got.add(await source.token())

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(one)
        return first, got

    first, got = anyio.run(main)
    assert len(google.grants) == 2  # the first token, then ONE refresh for all 50
    [second] = got
    assert second != first and google.valid(second) is not None


def test_a_401_triggers_exactly_one_refresh_and_retry(google: FakeGoogle, key_file: KeyFile):
    async def pull() -> None:
        client = pubsub_client(tokens=find_token_source(key_file.path))
        try:
            await Subscriber(client, subscription_name("ztf-loop", "my-project")).pull()
        finally:
            await client.aclose()

    with respx.mock:
        route = respx.post(PULL_URL).mock(
            side_effect=[
                httpx.Response(401, json=UNAUTHENTICATED),
                httpx.Response(200, json={"receivedMessages": []}),
            ]
        )
        anyio.run(pull)
    assert route.call_count == 2 and len(google.grants) == 2
    first, second = (bearer(call.request) for call in route.calls)
    assert first != second and google.valid(second) is not None

    google.grants.clear()
    with respx.mock:
        route = respx.post(PULL_URL).mock(return_value=httpx.Response(401, json=UNAUTHENTICATED))
        with pytest.raises(Unauthenticated):
            anyio.run(pull)
    assert route.call_count == 2 and len(google.grants) == 2  # no loop


def test_a_cached_login_is_refreshed_before_it_expires_and_saved(google: FakeGoogle):
    google.clients[CLIENT_ID] = CLIENT_SECRET
    google.refresh_tokens["1//cached-refresh-token"] = (CLIENT_ID, ["openid"], "a@example.org")
    user = UserCredentials(CLIENT_ID, CLIENT_SECRET, "1//cached-refresh-token")
    almost = AccessToken("ya29.almost-expired", time.time() + REFRESH_LEEWAY / 2)
    write_login(Login(user, "a@example.org", ("openid",), almost))

    def token() -> str:
        async def main() -> str:
            found = await default_token_source(emulator=False).token()
            assert found is not None
            return found

        return anyio.run(main)

    fresh = token()
    assert fresh != almost.value and google.valid(fresh) is not None
    assert google.grants == ["refresh_token"]
    cached = read_login()
    assert cached is not None and cached.access is not None and cached.access.value == fresh
    assert cached.user.refresh_token == "1//cached-refresh-token"  # Google sent no new one
    assert stat.S_IMODE(cache_path().stat().st_mode) == 0o600
    assert token() == fresh and len(google.grants) == 1  # the next run needs no refresh


def test_an_expired_or_revoked_login_says_run_login(google: FakeGoogle, cli: CliRunner):
    user = UserCredentials(CLIENT_ID, CLIENT_SECRET, "1//revoked-refresh-token")
    write_login(Login(user, "a@example.org"))
    google.clients[CLIENT_ID] = CLIENT_SECRET
    code, out, err = invoke(cli, "auth", "print-token")
    assert (code, out) == (3, "")
    assert err == "pgb: your pgb login has expired or was revoked: run `pgb auth login`\n"


def test_pull_keeps_going_when_its_token_expires_mid_stream(
    google: FakeGoogle,
    key_file: KeyFile,
    channel: Channel,
    ztf_payloads: list[bytes],
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
):
    # The emulator ignores credentials (and pgb sends none to it), so put Google's check in
    # front of it: a request whose token the fake Google did not issue, or that has
    # expired, gets Pub/Sub's 401; any other passes through to the real emulator.
    google.lifetimes = [int(REFRESH_LEEWAY) + 2]  # due for renewal two seconds in
    seen: list[tuple[str, bool]] = []

    def google_checks_the_token(request: httpx.Request) -> httpx.Request | httpx.Response:
        token = bearer(request)
        seen.append((token, google.valid(token) is not None))
        if not seen[-1][1]:
            return httpx.Response(401, json=UNAUTHENTICATED)
        return request

    source = default_token_source(emulator=False, credentials=key_file.path)
    monkeypatch.setattr(subscriber, "default_token_source", lambda emulator, **_: source)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", channel.host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    channel.publish(ztf_payloads)
    with respx.mock:
        respx.route(host=channel.host.split(":")[0]).mock(side_effect=google_checks_the_token)
        code, out, err = invoke(cli, "pull", channel.subscription_id, "--timeout", "4", "-q")
    assert code == 0, err
    assert len(out.splitlines()) == len(ztf_payloads)
    assert all(orjson.loads(line)["objectId"].startswith("ZTF") for line in out.splitlines())
    assert len(google.grants) == 2  # the first token and one renewal, for all 4 pullers
    assert len({token for token, _ in seen}) == 2 and all(ok for _, ok in seen)
    assert channel.drain_ids() == []
    gc.collect()


def test_the_token_file_is_never_readable_by_others(google: FakeGoogle):
    user = UserCredentials(CLIENT_ID, CLIENT_SECRET, "1//some-refresh-token")
    path = write_login(Login(user))
    path.chmod(0o644)  # even if someone loosened the old one, a rewrite is private again
    write_login(Login(user))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["type"] == "pgb_login"


class FlakyGoogle(httpx.AsyncBaseTransport):
    """The fake Google behind a network that first fails as told (a status or an error)."""

    def __init__(self, google: FakeGoogle, failures: list[int | Exception]) -> None:
        self.inner = httpx.ASGITransport(app=google)
        self.failures = failures
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, text="<html>Service Unavailable</html>")
        return await self.inner.handle_async_request(request)


def mount(monkeypatch: pytest.MonkeyPatch, transport: httpx.AsyncBaseTransport) -> None:
    monkeypatch.setitem(google_oauth.MOUNTS, "https://oauth2.googleapis.com", transport)


def test_a_brief_outage_keeps_the_current_token_while_it_lasts(
    google: FakeGoogle, key_file: KeyFile, monkeypatch: pytest.MonkeyPatch
):
    google.lifetimes = [int(REFRESH_LEEWAY) - 60]  # due for renewal, valid for 3 more minutes
    flaky = FlakyGoogle(google, [])
    mount(monkeypatch, flaky)

    async def main() -> list[str]:
        source = find_token_source(key_file.path)
        first = await source.token()
        flaky.failures.append(httpx.ConnectError("network is unreachable"))
        return [first, await source.token(), await source.token()]

    first, during, again = anyio.run(main)
    assert first == during == again and google.valid(first) is not None
    assert flaky.attempts == 2  # one failed renewal, then a pause before the next try


def test_a_503_from_the_token_endpoint_is_retried(
    google: FakeGoogle, key_file: KeyFile, monkeypatch: pytest.MonkeyPatch
):
    flaky = FlakyGoogle(google, [503])
    mount(monkeypatch, flaky)
    token = anyio.run(find_token_source(key_file.path).token)
    assert google.valid(token) is not None and flaky.attempts == 2


def test_google_unreachable_with_no_token_is_unreachable(
    key_file: KeyFile, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
):
    flaky = FlakyGoogle(google, [httpx.ConnectError("refused")] * 5)
    mount(monkeypatch, flaky)
    with pytest.raises(Unreachable, match=r"cannot reach oauth2\.googleapis\.com"):
        anyio.run(find_token_source(key_file.path).token)
    assert flaky.attempts == 3
