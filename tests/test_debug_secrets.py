"""``pgb --debug pull`` and ``pgb --debug query`` on every way they fail, with recognisable
credentials in play: a service-account key, gcloud's application-default login and pgb's
own login. Each run goes to Google's real URLs, answered in-process: OAuth by the fake
token endpoint (``tests/auth/fake_google.py``, handing out ``ya29.SEEDED-SECRET-...``
tokens), Pub/Sub and BigQuery by respx. Each test checks what the user sees (exit code,
the traceback and then one ``pgb: ...`` line), that the seeded token really was sent, and
that no token, refresh token, client secret or line of the private key shows anywhere:
stdout, stderr, the dead-letter folder, any file pgb wrote (but its own login cache, which
holds them by design, readable by the user only)."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from pittgoogle_cli.auth import oauth as google_oauth
from pittgoogle_cli.auth.cache import Login, cache_path, write_login
from pittgoogle_cli.auth.credentials import UserCredentials
from pittgoogle_cli.auth.oauth import AccessToken
from pittgoogle_cli.cli import app
from pittgoogle_cli.google import http as google_http
from pittgoogle_cli.google.retry import RetryPolicy

from .auth.conftest import HOSTS, pem
from .auth.fake_google import FakeGoogle
from .conftest import ZTF_FILES
from .replies import bigquery_error, google_error

PROJECT = "sa-project"
SUBSCRIPTION = f"projects/{PROJECT}/subscriptions/ztf-loop"
PUBSUB = f"https://pubsub.googleapis.com/v1/{SUBSCRIPTION}"
BIGQUERY = f"https://bigquery.googleapis.com/bigquery/v2/projects/{PROJECT}"
EMAIL = "puller@sa-project.iam.gserviceaccount.com"
CLIENT_ID = "123-pgb.apps.googleusercontent.com"
CLIENT_SECRET = "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789"
REFRESH_TOKEN = "1//SEEDED-REFRESH-TOKEN-abcdefghijklmnopqrstuvwxyz"
CACHED_TOKEN = "ya29.SEEDED-SECRET-cached-in-the-login-file-0123456789"
MARKERS = ("SEEDED-SECRET", "SEEDED-REFRESH", "SEEDED-CLIENT")  # no piece of them, either
KINDS = ["service-account key", "gcloud ADC", "pgb login"]


class SeededGoogle(FakeGoogle):
    """The fake token endpoint, handing out recognisable tokens and keeping every grant
    request it was sent (to show that the refresh token or the key was used)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []

    def _token(self, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        self.forms.append(form)
        return super()._token(form, headers)

    def _issue(self, scopes: list[str], email: str, refresh: str | None = None) -> dict[str, Any]:
        reply = super()._issue(scopes, email, refresh)
        issued = self.tokens.pop(reply["access_token"])
        reply["access_token"] = token = (
            f"ya29.SEEDED-SECRET-{len(self.tokens)}-{reply['access_token'][5:]}"
        )
        self.tokens[token] = issued
        return reply

    def revoke_everything(self) -> None:
        """The key deleted, the refresh tokens revoked: no further grant succeeds."""
        self.service_accounts.clear()
        self.refresh_tokens.clear()


@dataclass
class Credentials:
    kind: str
    secrets: list[str]  # known before the run; every token Google issues is one too
    inputs: list[Path]  # files the test wrote (the secrets are meant to be there)


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real credentials, config, emulator or gcloud: Google's real URLs only."""
    for name in list(os.environ):
        if name.startswith(("GOOGLE_", "PGB_", "PITTGOOGLE_", "CLOUDSDK_", "PUBSUB_EMU")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("BIGQUERY_EMULATOR_HOST", raising=False)
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(home / ".config" / "gcloud"))
    monkeypatch.setenv("PATH", str(home / "bin"))
    return home


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> SeededGoogle:
    fake = SeededGoogle()
    for host in HOSTS:
        monkeypatch.setitem(google_oauth.MOUNTS, host, httpx.ASGITransport(app=fake))
    return fake


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """A umask that hides nothing: a private file must be made private by pgb itself."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture(params=KINDS)
def credentials(
    request: pytest.FixtureRequest,
    google: SeededGoogle,
    home: Path,
    private_key: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
    umask_zero: None,
) -> Credentials:
    kind: str = request.param
    scopes = ["https://www.googleapis.com/auth/cloud-platform", "openid"]
    if kind == "service-account key":
        google.service_accounts[EMAIL] = private_key.public_key()
        path = home / "key.json"
        key = pem(private_key)
        info = {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "0123456789abcdef",
            "private_key": key,
            "client_email": EMAIL,
            "client_id": "1000000000000",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
        path.write_text(json.dumps(info))
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
        return Credentials(kind, [key], [path])
    google.clients[CLIENT_ID] = CLIENT_SECRET
    google.refresh_tokens[REFRESH_TOKEN] = (CLIENT_ID, scopes, "astronomer@example.org")
    if kind == "gcloud ADC":
        path = home / ".config" / "gcloud" / "application_default_credentials.json"
        path.parent.mkdir(parents=True)
        info = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "quota_project_id": PROJECT,
            "refresh_token": REFRESH_TOKEN,
            "type": "authorized_user",
        }
        path.write_text(json.dumps(info))
        return Credentials(kind, [REFRESH_TOKEN, CLIENT_SECRET], [path])
    # pgb's login, its access token expired: the run refreshes it and saves the new one
    expired = AccessToken(CACHED_TOKEN, time.time() - 60)
    user = UserCredentials(CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
    path = write_login(Login(user, "astronomer@example.org", tuple(scopes), expired))
    path.chmod(0o644)  # so that 0600 afterwards is pgb's doing
    return Credentials(kind, [REFRESH_TOKEN, CLIENT_SECRET, CACHED_TOKEN], [path])


# --- Google's APIs, as respx routes -----------------------------------------------------


UNAUTHENTICATED = google_error(
    401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
)
DENIED = google_error(403, "PERMISSION_DENIED", "User not authorized to perform this action.")
Reply = httpx.Response | Exception | Callable[[], httpx.Response]


@dataclass
class FakeApi:
    """One Google REST API: each call is answered by the next reply scripted for it (the
    last one again once the script runs out); every request is kept."""

    scripts: dict[str, list[Reply]]
    requests: list[httpx.Request] = field(default_factory=list)

    def serve(self, request: httpx.Request, call: str) -> httpx.Response:
        self.requests.append(request)
        script = self.scripts[call]
        reply = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(reply, Exception):
            raise reply
        return reply() if callable(reply) else reply

    def bearers(self) -> list[str]:
        return [r.headers.get("authorization", "") for r in self.requests]


def message(data: bytes, n: int) -> dict[str, Any]:
    return {
        "ackId": f"ack-{n}",
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": {"schema": "ztf", "\x1b[2J": "\x1b]0;owned\x07"},
            "messageId": str(1000 + n),
            "publishTime": "2024-05-01T12:00:00.123Z",
        },
    }


def pulled(payloads: list[bytes]) -> httpx.Response:
    return httpx.Response(
        200, json={"receivedMessages": [message(p, i) for i, p in enumerate(payloads)]}
    )


EMPTY = httpx.Response(200, json={})
SUBSCRIBED = httpx.Response(
    200,
    json={
        "name": SUBSCRIPTION,
        "topic": "projects/ardent-cycling-243415/topics/ztf-loop",
        "ackDeadlineSeconds": 60,
    },
)


@pytest.fixture
def pubsub() -> Iterator[Callable[..., FakeApi]]:
    """``pubsub(get=[...], pull=[...])``: Pub/Sub for ztf-loop, mounted with respx."""
    with respx.mock(assert_all_called=False) as mock:

        def script(get: list[Reply] | None = None, pull: list[Reply] | None = None) -> FakeApi:
            api = FakeApi({"get": get or [SUBSCRIBED], "pull": pull or [EMPTY], "ok": [EMPTY]})
            mock.get(PUBSUB).mock(side_effect=lambda r: api.serve(r, "get"))
            mock.post(f"{PUBSUB}:pull").mock(side_effect=lambda r: api.serve(r, "pull"))
            for call in ("acknowledge", "modifyAckDeadline"):
                mock.post(f"{PUBSUB}:{call}").mock(side_effect=lambda r: api.serve(r, "ok"))
            return api

        yield script


# --- running pgb and looking at what it left ---------------------------------------------

BORDERS = re.compile(r"[\s│╭╮╰╯─┃━]+")


def pieces(secret: str) -> list[str]:
    """The secret, each line of it (a PEM key might be shown a line at a time) and each
    20 characters of a key's body (so that any 40 in a row are seen, cut short or not)."""
    lines = [line for line in secret.splitlines() if len(line) > 16 and "-----" not in line]
    body = "".join(lines)
    chunks = [body[i : i + 20] for i in range(0, len(body) - 19, 20)] if len(lines) > 1 else []
    return [secret, *lines, *chunks]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("pgb: ")]


def pgb(*args: str) -> Run:
    result = CliRunner().invoke(app, ["--debug", *args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def written_files(root: Path, credentials: Credentials) -> Iterator[Path]:
    """Every file under ``root`` but the credentials the test wrote and pgb's login cache."""
    private = {*credentials.inputs, cache_path()}
    for path in root.rglob("*"):
        if path.is_file() and path not in private:
            yield path


def assert_no_secrets(run: Run, credentials: Credentials, google: SeededGoogle, root: Path) -> None:
    secrets = [*credentials.secrets, *google.tokens]
    texts = {"stdout": run.out, "stderr": run.err}
    for path in written_files(root, credentials):
        texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for where, text in texts.items():
        # Rich wraps a traceback at 100 columns inside a box: look across the wraps too.
        squashed = BORDERS.sub("", text)
        for secret in secrets:
            for piece in pieces(secret):
                assert piece not in text, f"{where} shows a secret: ...{piece[-6:]}"
                assert BORDERS.sub("", piece) not in squashed, f"{where} shows ...{piece[-6:]}"
        for marker in MARKERS:
            assert marker not in squashed, f"{where} shows part of a secret ({marker})"


def assert_failed(run: Run, code: int, message: str, said: int = 0) -> None:
    """Exit ``code``, nothing on stdout, --debug's traceback and then one ``pgb:`` line
    (after the ``said`` lines of a run that got that far)."""
    assert run.code == code, run.err
    assert run.out == ""
    assert "Traceback" in run.err
    last = run.err.strip().splitlines()[-1]
    assert last.startswith("pgb: ") and re.search(message, last), last
    assert len(run.lines) == said + 1 and run.lines[-1] == last, run.lines


def assert_token_sent(api: FakeApi, google: SeededGoogle, count: int = 1) -> list[str]:
    """The API was sent ``count`` distinct tokens, each one Google issued and seeded."""
    sent = list(dict.fromkeys(api.bearers()))
    assert len(sent) == count, sent
    for bearer in sent:
        assert bearer.startswith("Bearer ya29.SEEDED-SECRET-")
        assert bearer.removeprefix("Bearer ") in google.tokens
    return sent


def assert_login_cache_private(credentials: Credentials, google: SeededGoogle) -> None:
    """pgb's login, refreshed during the run, was saved again: mode 0600 (umask 0)."""
    if credentials.kind != "pgb login":
        return
    path = cache_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())["access_token"]
    assert saved != CACHED_TOKEN and saved in google.tokens


def pull(dead_letter: Path, *extra: str, give_up: str = "0.5") -> Run:
    """One puller (so that what is retried is countable), and a short patience."""
    return pgb(
        "pull", "ztf-loop", "--project", PROJECT, "--concurrency", "1",
        "--give-up-after", give_up, "--dead-letter", str(dead_letter), *extra,
    )  # fmt: skip


ALERTS = [path.read_bytes() for path in ZTF_FILES]


# --- pgb pull ----------------------------------------------------------------------------


def test_pull_a_401_then_a_403(pubsub, google, credentials, tmp_path):
    api = pubsub(get=[UNAUTHENTICATED, DENIED])
    run = pull(tmp_path / "dead", "--max", "1")
    assert_failed(run, 6, "User not authorized to perform this action")
    assert_token_sent(api, google, count=2)  # the rejected token, then a fresh one
    assert_login_cache_private(credentials, google)
    assert_no_secrets(run, credentials, google, tmp_path)


@pytest.mark.parametrize("status", [500, 503])
def test_pull_a_server_error_that_lasts(pubsub, google, credentials, tmp_path, status):
    api = pubsub(
        pull=[google_error(status, "UNAVAILABLE", "The service is currently unavailable.")]
    )
    run = pull(tmp_path / "dead", "--max", "1")
    assert_failed(run, 7, r"currently unavailable\. \(still failing after \d+ s\)")
    assert_token_sent(api, google)
    assert len(api.requests) >= 3  # the subscription, then pulls retried
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_a_429_with_retry_after(pubsub, google, credentials, tmp_path):
    throttled = google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", **{"Retry-After": "1"})
    api = pubsub(pull=[throttled])
    run = pull(tmp_path / "dead", "--max", "1", give_up="1")
    assert_failed(run, 7, r"Quota exceeded\. \(still failing after \d+ s\)")
    # Waiting 1 s as asked, the second pull is the last before giving up; pgb's own
    # backoff (0.5 s at most at first) would have tried a third time.
    assert [r.url.path.endswith(":pull") for r in api.requests] == [False, True, True]
    assert_token_sent(api, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_a_malformed_2xx_reply(pubsub, google, credentials, tmp_path):
    bad = {"receivedMessages": [{"ackId": "a", "message": {"data": "%%not-base64%%"}}]}
    api = pubsub(pull=[httpx.Response(200, json=bad)])
    run = pull(tmp_path / "dead", "--max", "1")
    assert_failed(run, 1, "Pub/Sub sent a pull reply pgb cannot read: Invalid base64")
    assert_token_sent(api, google)
    assert_login_cache_private(credentials, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_a_connection_error(pubsub, google, credentials, tmp_path):
    api = pubsub(get=[httpx.ConnectError("[Errno 111] Connection refused")])
    run = pull(tmp_path / "dead", "--max", "1")
    assert_failed(run, 7, r"cannot reach pubsub\.googleapis\.com: connection refused")
    assert_token_sent(api, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_to_a_full_disk(pubsub, google, credentials, tmp_path):
    api = pubsub(pull=[pulled(ALERTS[:1]), EMPTY])
    run = pull(tmp_path / "dead", "--max", "1", "--out", "/dev/full", "--format", "jsonl")
    assert_failed(run, 8, "No space left on device")
    assert_token_sent(api, google)
    assert not any(r.url.path.endswith(":acknowledge") for r in api.requests)  # not written
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_with_a_broken_filter(pubsub, google, credentials, tmp_path):
    api = pubsub(pull=[pulled(ALERTS + ALERTS[:3]), EMPTY])
    run = pull(tmp_path / "dead", "--max", "5", "--filter", "os:getcwd")
    assert_failed(run, 1, r"filter \w+:getcwd raised on each of the first 10 alerts")
    assert_token_sent(api, google)
    kept = sorted((tmp_path / "dead" / "ztf-loop").glob("*.json"))
    assert len(kept) == 9  # each failure before the 10th was a dead letter, with its traceback
    assert "TypeError" in kept[0].read_text()
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_hostile_undecodable_messages(pubsub, google, credentials, tmp_path):
    hostile = [
        b"Obj\x01" + b"\xff" * 40,  # an Avro container whose header never ends
        b"\x00\x00\x00\x03\xe9" + b"\x80" * 64,  # a schema id nobody has
        ALERTS[0][: len(ALERTS[0]) // 2],  # half an alert
        b"\x1b[2J\x1b]0;pwned\x07 not an alert \x00\xff",
    ]
    api = pubsub(pull=[pulled(hostile), EMPTY])
    run = pull(tmp_path / "dead", "--until-empty", "--empty-wait", "0")
    assert run.code == 0 and run.out == "", run.err
    folder = tmp_path / "dead" / "ztf-loop"
    notice = f"pgb: 4 message(s) could not be decoded or filtered; kept in {folder}"
    assert notice in run.lines and run.lines[-1].startswith("pgb: drained: 0 written")
    kept = sorted(folder.glob("*.bin"))
    assert sorted(p.read_bytes() for p in kept) == sorted(hostile)
    assert_token_sent(api, google)
    assert_login_cache_private(credentials, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_when_the_credentials_are_revoked_mid_run(pubsub, google, credentials, tmp_path):
    def revoked() -> httpx.Response:
        google.revoke_everything()
        return UNAUTHENTICATED

    api = pubsub(get=[revoked])
    run = pull(tmp_path / "dead", "--max", "1")
    assert_failed(run, 3, "invalid_grant|expired or was revoked")
    assert_token_sent(api, google)  # the first token; no second one came
    assert google.refusals == ["invalid_grant"]
    assert_no_secrets(run, credentials, google, tmp_path)


def test_pull_when_the_first_refresh_is_refused(pubsub, google, credentials, tmp_path):
    google.revoke_everything()
    api = pubsub()
    run = pull(tmp_path / "dead", "--max", "1")
    assert_failed(run, 3, "invalid_grant|expired or was revoked")
    assert api.requests == [] and google.refusals == ["invalid_grant"]
    [form] = google.forms  # the grant pgb asked for carried the secret it had
    if credentials.kind == "service-account key":
        claims = form["assertion"].split(".")[1]
        assert json.loads(base64.urlsafe_b64decode(claims + "==="))["iss"] == EMAIL
    else:
        assert form["refresh_token"] == REFRESH_TOKEN
    assert_no_secrets(run, credentials, google, tmp_path)


# --- pgb query ---------------------------------------------------------------------------

SCHEMA = {"fields": [{"name": "objectId", "type": "STRING"}, {"name": "candid", "type": "INTEGER"}]}
DRY_RUN = httpx.Response(
    200,
    json={
        "schema": SCHEMA,
        "totalBytesProcessed": "1048576",
        "jobComplete": True,
        "jobReference": {"projectId": PROJECT, "location": "US"},
    },
)


def rows(*cells: list[Any]) -> httpx.Response:
    body = {
        "jobReference": {"projectId": PROJECT, "jobId": "job_1", "location": "US"},
        "jobComplete": True,
        "schema": SCHEMA,
        "rows": [{"f": [{"v": v} for v in row]} for row in cells],
        "totalRows": str(len(cells)),
    }
    return httpx.Response(200, json=body)


@pytest.fixture
def bigquery(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeApi]]:
    """``bigquery(dry=[...], run=[...])``: jobs.query answering dry runs and real runs."""
    # `pgb query` retries 6 times with backoff up to 10 s: the same, minus the waiting.
    fast = RetryPolicy(attempts=3, base=0.001, cap=0.01)
    monkeypatch.setattr(google_http, "RetryPolicy", lambda: fast)
    with respx.mock(assert_all_called=False) as mock:

        def script(dry: list[Reply] | None = None, run: list[Reply] | None = None) -> FakeApi:
            api = FakeApi({"dry": dry or [DRY_RUN], "run": run or [rows()]})

            def jobs_query(request: httpx.Request) -> httpx.Response:
                return api.serve(
                    request, "dry" if json.loads(request.content).get("dryRun") else "run"
                )

            mock.post(f"{BIGQUERY}/queries").mock(side_effect=jobs_query)
            mock.post(url__startswith=f"{BIGQUERY}/jobs/").mock(return_value=EMPTY)
            return api

        yield script


def query(*extra: str) -> Run:
    return pgb("query", "--objectId", "ZTF18abcdefg", "--project", PROJECT, *extra)


def test_query_a_401_then_a_403(bigquery, google, credentials, tmp_path):
    api = bigquery(
        dry=[
            bigquery_error(
                401, "authError", "Request is missing required authentication credential."
            ),
            bigquery_error(
                403, "accessDenied", "User does not have bigquery.jobs.create permission."
            ),
        ]
    )
    run = query()
    assert_failed(run, 6, "BigQuery accessDenied: User does not have bigquery.jobs.create")
    assert_token_sent(api, google, count=2)
    assert_login_cache_private(credentials, google)
    assert_no_secrets(run, credentials, google, tmp_path)


@pytest.mark.parametrize("status", [500, 503])
def test_query_a_server_error_that_lasts(bigquery, google, credentials, tmp_path, status):
    api = bigquery(dry=[bigquery_error(status, "backendError", "Backend error.")])
    run = query()
    assert_failed(run, 7, r"BigQuery backendError: Backend error\. \(still failing")
    assert len(api.requests) == 3  # every attempt, each with the token
    assert_token_sent(api, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_query_a_429_with_retry_after(bigquery, google, credentials, tmp_path):
    throttled = bigquery_error(
        429, "rateLimitExceeded", "Exceeded rate limits.", **{"Retry-After": "1"}
    )
    api = bigquery(dry=[throttled])
    run = query()
    assert_failed(run, 7, r"BigQuery rateLimitExceeded: Exceeded rate limits\. \(still failing")
    assert_token_sent(api, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_query_waits_as_retry_after_says(bigquery, home, monkeypatch):
    throttled = bigquery_error(
        429, "rateLimitExceeded", "Exceeded rate limits.", **{"Retry-After": "1"}
    )
    bigquery(dry=[throttled, DRY_RUN], run=[rows()])
    # Google's URL as an "emulator": no credentials, which this is not about.
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "https://bigquery.googleapis.com")
    started = time.monotonic()
    run = query()
    assert run.code == 0, run.err
    assert time.monotonic() - started >= 1.0  # the policy itself waits 10 ms at most


@pytest.mark.parametrize(
    ("dry", "run", "message"),
    [
        (
            [httpx.Response(200, json={"totalBytesProcessed": "a lot"})],
            None,
            r"BigQuery sent a reply pgb cannot read: .*totalBytesProcessed",
        ),
        (
            [httpx.Response(200, content=b"<html>502 Bad Gateway</html>")],
            None,
            r"BigQuery sent a reply pgb cannot read: JSON is malformed",
        ),
        (
            None,
            [rows(["ZTF18abcdefg", "not-a-number"])],
            r"BigQuery sent a row pgb cannot read \(ValueError",
        ),
    ],
    ids=["bad-count", "not-json", "bad-row"],
)
def test_query_a_malformed_2xx_reply(bigquery, google, credentials, tmp_path, dry, run, message):
    api = bigquery(dry=dry, run=run)
    result = query()
    assert_failed(result, 1, message, said=0 if dry else 1)  # 1: the cost of the query
    assert_token_sent(api, google)
    assert_no_secrets(result, credentials, google, tmp_path)


def test_query_a_connection_error(bigquery, google, credentials, tmp_path):
    api = bigquery(dry=[httpx.ConnectError("[Errno 111] Connection refused")])
    run = query()
    assert_failed(run, 7, r"cannot reach bigquery\.googleapis\.com: connection refused")
    assert_token_sent(api, google)
    assert_no_secrets(run, credentials, google, tmp_path)


def test_query_when_the_credentials_are_revoked_mid_run(bigquery, google, credentials, tmp_path):
    def revoked() -> httpx.Response:
        google.revoke_everything()
        return bigquery_error(401, "authError", "Invalid Credentials")

    api = bigquery(dry=[revoked])
    run = query()
    assert_failed(run, 3, "invalid_grant|expired or was revoked")
    assert_token_sent(api, google)
    assert google.refusals == ["invalid_grant"]
    assert_no_secrets(run, credentials, google, tmp_path)


def test_the_checks_would_see_a_secret(credentials, google, tmp_path):
    """assert_no_secrets is not blind: a token printed, wrapped in a box, or left in a
    dead letter, and each secret known before the run, are all caught."""
    issued = google._issue(["openid"], "a@b.org")["access_token"]
    wrapped = f"│ header {issued[:30]}  │\n│ {issued[30:]} │"
    for text in (issued, wrapped, *(pieces(s)[-1] for s in credentials.secrets)):
        with pytest.raises(AssertionError, match="shows"):
            assert_no_secrets(Run(1, "", text), credentials, google, tmp_path)
    (tmp_path / "dead").mkdir()
    (tmp_path / "dead" / "1.json").write_text(json.dumps({"error": f"Bearer {issued}"}))
    with pytest.raises(AssertionError, match=r"1\.json"):
        assert_no_secrets(Run(1, "", ""), credentials, google, tmp_path)
