"""What the emulator cannot do: throttling, server errors, refusals and malformed replies,
served by respx with the JSON shapes Google's REST API uses."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest
import respx
from typer.testing import CliRunner

from pittgoogle_cli import MalformedReply, NotFound, PermissionDenied, ServerError, Unreachable
from pittgoogle_cli.cli import app
from pittgoogle_cli.google.errors import GoogleError, parse_error
from pittgoogle_cli.google.http import RestClient
from pittgoogle_cli.google.retry import OutageNotices, RetryPolicy
from pittgoogle_cli.pubsub.rest import subscription_name
from pittgoogle_cli.pubsub.subscriber import Subscriber, pubsub_base_url

from .replies import google_error

HOST = "pubsub.test:8085"
BASE = pubsub_base_url(HOST)
SUB = "projects/my-project/subscriptions/ztf-loop"
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01)


def subscriber() -> Subscriber:
    client = RestClient(BASE, retry=FAST)
    return Subscriber(client, subscription_name(SUB, None))


MESSAGE = {"ackId": "a1", "message": {"data": "aGVsbG8=", "messageId": "7", "publishTime": "t"}}


@respx.mock
def test_429_and_503_are_retried_until_success():
    route = respx.post(f"{BASE}/{SUB}:pull").mock(
        side_effect=[
            google_error(429, "RESOURCE_EXHAUSTED", "slow down"),
            google_error(503, "UNAVAILABLE", "try again"),
            httpx.Response(200, json={"receivedMessages": [MESSAGE]}),
        ]
    )
    [received] = anyio.run(subscriber().pull)
    assert received.message.data == b"hello"
    assert route.call_count == 3


@respx.mock
def test_timeouts_are_retried_then_reported_as_unreachable():
    route = respx.post(f"{BASE}/{SUB}:pull").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(Unreachable, match=r"pubsub\.test:8085 timed out"):
        anyio.run(subscriber().pull)
    assert route.call_count == FAST.attempts


@respx.mock
def test_403_is_permission_denied_and_not_retried():
    route = respx.get(f"{BASE}/{SUB}").mock(
        return_value=google_error(403, "PERMISSION_DENIED", "User not authorized")
    )
    with pytest.raises(PermissionDenied, match="User not authorized") as caught:
        anyio.run(subscriber().get)
    assert route.call_count == 1
    assert caught.value.exit_code == 6 and not caught.value.retriable


@respx.mock
def test_404_on_ack_is_not_found():
    respx.post(f"{BASE}/{SUB}:acknowledge").mock(
        return_value=google_error(404, "NOT_FOUND", "Resource not found")
    )
    with pytest.raises(NotFound):
        anyio.run(subscriber().acknowledge, ["a1"])


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, content=b"<html>proxy error</html>"),
        httpx.Response(200, json={"receivedMessages": [{"ackId": "a1"}]}),
        httpx.Response(200, json={"receivedMessages": [{**MESSAGE, "message": {"data": "%%"}}]}),
    ],
    ids=["not-json", "no-message", "bad-base64"],
)
@respx.mock
def test_malformed_pull_replies_are_errors_not_crashes(reply: httpx.Response):
    respx.post(f"{BASE}/{SUB}:pull").mock(return_value=reply)
    with pytest.raises(MalformedReply, match="pull reply pgb cannot read"):
        anyio.run(subscriber().pull)


@respx.mock
def test_cli_permission_denied_is_one_line_and_exit_6():
    respx.get(f"{BASE}/{SUB}").mock(
        return_value=google_error(403, "PERMISSION_DENIED", "User not authorized to perform this")
    )
    result = CliRunner().invoke(
        app,
        ["pull", "ztf-loop"],
        env={"PUBSUB_EMULATOR_HOST": HOST, "GOOGLE_CLOUD_PROJECT": "my-project"},
    )
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == (
        f"pgb: cannot use or create {SUB}: User not authorized to perform this\n"
    )


def test_one_parser_reads_pubsubs_status_and_bigquerys_reason():
    pubsub = b'{"error": {"code": 404, "message": "Resource not found", "status": "NOT_FOUND"}}'
    assert parse_error(pubsub) == GoogleError("Resource not found", "NOT_FOUND", "")
    bigquery = (
        b'{"error": {"code": 403, "message": "Exceeded rate limits", "status": "PERMISSION_DENIED",'
        b' "errors": [{"reason": "rateLimitExceeded", "message": "Exceeded", "domain": "usage"}]}}'
    )
    assert parse_error(bigquery) == GoogleError(
        "Exceeded rate limits", "PERMISSION_DENIED", "rateLimitExceeded"
    )
    only_inner = b'{"error": {"errors": [{"reason": "notFound", "message": "Not found: t"}]}}'
    assert parse_error(only_inner) == GoogleError("Not found: t", "", "notFound")


@pytest.mark.parametrize(
    "body", [b"", b"<html>bad gateway</html>", b'{"error": "invalid_grant"}', b"[]"]
)
def test_a_reply_that_is_not_googles_envelope_is_none(body: bytes):
    assert parse_error(body) is None


class FailingTokens:
    """A token source that has given up on its own retries."""

    def __init__(self) -> None:
        self.calls = 0

    async def token(self) -> str | None:
        self.calls += 1
        raise ServerError("oauth2.googleapis.com answered HTTP 503; try again later", status=503)

    async def invalidate(self, token: str) -> None:
        return None


@respx.mock
def test_a_token_source_error_is_not_retried_again_per_request():
    route = respx.get(f"{BASE}/{SUB}").mock(return_value=httpx.Response(200, json={}))
    tokens = FailingTokens()
    client = RestClient(BASE, tokens=tokens, retry=FAST)
    with pytest.raises(ServerError, match="HTTP 503"):
        anyio.run(client.call, "GET", SUB)
    assert tokens.calls == 1 and route.call_count == 0


class Heard:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        self.lines.append(text)


@respx.mock
def test_retry_after_is_honoured():
    route = respx.post(f"{BASE}/{SUB}:pull").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}, json={"error": {"code": 429}}),
            httpx.Response(200, json={"receivedMessages": [MESSAGE]}),
        ]
    )
    started = time.monotonic()
    anyio.run(subscriber().pull)  # FAST alone would wait about 10 ms
    assert time.monotonic() - started >= 1.0 and route.call_count == 2


@respx.mock
def test_a_persistent_503_gives_up_after_the_time_given_as_unreachable():
    respx.post(f"{BASE}/{SUB}:pull").mock(return_value=google_error(503, "UNAVAILABLE", "down"))
    heard = Heard()
    policy = RetryPolicy(base=0.05, cap=0.2, give_up_after=2.5, notice=OutageNotices(heard))
    client = RestClient(BASE, retry=policy)
    started = time.monotonic()
    with pytest.raises(Unreachable, match=r"^down \(still failing after [23] s\)$"):
        anyio.run(Subscriber(client, subscription_name(SUB, None)).pull)
    assert 2.5 <= time.monotonic() - started < 4
    assert heard.lines == ["down: waiting and retrying for up to 2 s"]  # once, not per try


@respx.mock
def test_an_outage_of_several_calls_is_announced_once_and_its_end_too():
    down_until = time.monotonic() + 3

    def pubsub(request: httpx.Request) -> httpx.Response:
        if time.monotonic() < down_until:
            return google_error(503, "UNAVAILABLE", "maintenance")
        return httpx.Response(200, json={"receivedMessages": [MESSAGE]})

    respx.post(f"{BASE}/{SUB}:pull").mock(side_effect=pubsub)
    heard = Heard()
    policy = RetryPolicy(base=0.05, cap=0.2, give_up_after=60, notice=OutageNotices(heard))
    sub = Subscriber(RestClient(BASE, retry=policy), subscription_name(SUB, None))

    async def four_pullers() -> None:
        async with anyio.create_task_group() as pullers:
            for _ in range(4):
                pullers.start_soon(sub.pull)

    anyio.run(four_pullers)
    assert heard.lines[0] == "maintenance: waiting and retrying for up to 60 s"
    assert len(heard.lines) == 2 and heard.lines[1].startswith("reachable again after ")
