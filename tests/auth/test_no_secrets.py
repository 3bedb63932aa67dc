"""Every auth command, with ``--debug``, against failing credentials: one ``pgb: ...`` line
(after the traceback), exit code 3 (7 when Google is unreachable), ``status --json`` one
object saying the same, and no token, refresh token, private key or client secret anywhere
in what the user sees."""

from __future__ import annotations

import json
import threading
import time
import webbrowser
from pathlib import Path

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from pittgoogle_cli.auth import oauth as google_oauth
from pittgoogle_cli.auth.cache import Login, write_login
from pittgoogle_cli.auth.credentials import UserCredentials
from pittgoogle_cli.auth.oauth import AccessToken
from pittgoogle_cli.auth.tokens import RefreshingTokenSource
from pittgoogle_cli.google.retry import RetryPolicy

from .conftest import CLIENT_ID, CLIENT_SECRET, HOSTS, KeyFile, UserLogin, browse, invoke
from .conftest import write_key_file as write_key
from .fake_google import FakeGoogle

COMMANDS = [
    ("auth", "status"),
    ("auth", "print-token"),
    ("auth", "status", "--json"),
    # The key's own project: a key for another project is refused before Google is asked.
    ("pull", "ztf-loop", "--project", "sa-project", "--max", "1"),
]


def pieces(secret: str) -> list[str]:
    """The secret and every line of it (a PEM key is printed line by line, if at all)."""
    lines = [line for line in secret.splitlines() if len(line) > 16 and "-----" not in line]
    return [secret, *lines]


def assert_hidden(secrets: list[str], *runs: tuple[int, str, str]) -> None:
    for _, out, err in runs:
        seen = out + err
        for secret in secrets:
            for piece in pieces(secret):
                assert piece not in seen, f"a secret was printed: ...{piece[-6:]}"


def run_all(cli: CliRunner, *extra: str) -> list[tuple[int, str, str]]:
    runs = []
    for command in COMMANDS:
        code, out, err = invoke(cli, "--debug", *command, *extra)
        assert code in (3, 7), (command, err)
        assert "Traceback" in err  # --debug printed the traceback ...
        last = err.strip().splitlines()[-1]
        assert last.startswith("pgb: ")  # ... and then one line
        if "--json" in command:  # and one object on stdout, with the same error
            [line] = out.splitlines()
            shown = json.loads(line)
            assert shown["error"] == last.removeprefix("pgb: ") and shown["source"] is None
        else:
            assert out == ""
        runs.append((code, out, err))
    return runs


def test_a_key_google_refuses(google: FakeGoogle, rsa_keys, tmp_path: Path, cli: CliRunner):
    # GOOGLE_APPLICATION_CREDENTIALS rather than --credentials: `pgb pull` reads it too.
    email = "puller@sa-project.iam.gserviceaccount.com"
    google.service_accounts[email] = rsa_keys[0].public_key()
    wrong = write_key(tmp_path / "key.json", rsa_keys[1], email)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(wrong.path))
        runs = run_all(cli)
    assert all("Invalid JWT Signature" in err for _, _, err in runs)
    assert_hidden([wrong.pem], *runs)


def test_a_revoked_pgb_login_with_an_expired_token(google: FakeGoogle, cli: CliRunner):
    google.clients[CLIENT_ID] = CLIENT_SECRET
    refresh = "1//revoked-refresh-token-0123456789"
    expired = AccessToken("ya29.expired-access-token-0123456789", time.time() - 10)
    write_login(Login(UserCredentials(CLIENT_ID, CLIENT_SECRET, refresh), "a@b.org", (), expired))
    runs = run_all(cli)
    assert all(code == 3 and "pgb auth login" in err for code, _, err in runs)
    assert_hidden([refresh, CLIENT_SECRET, expired.value], *runs)
    logout = invoke(cli, "--debug", "auth", "logout")
    assert logout[0] == 0
    assert_hidden([refresh, CLIENT_SECRET, expired.value], logout)


def test_a_revoked_adc_file(google: FakeGoogle, adc_file: UserLogin, cli: CliRunner):
    del google.refresh_tokens[adc_file.refresh_token]
    runs = run_all(cli)
    assert all("gcloud auth application-default login" in err for _, _, err in runs)
    assert_hidden([adc_file.refresh_token, CLIENT_SECRET], *runs)


def test_google_unreachable(key_file: KeyFile, cli: CliRunner, monkeypatch: pytest.MonkeyPatch):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    for host in HOSTS:
        monkeypatch.setitem(google_oauth.MOUNTS, host, httpx.MockTransport(refuse))
    monkeypatch.setattr(RefreshingTokenSource, "retry", RetryPolicy(attempts=3, base=0.01))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file.path))
    runs = run_all(cli)
    assert all(code == 7 and "cannot reach oauth2.googleapis.com" in err for code, _, err in runs)
    assert_hidden([key_file.pem], *runs)


def test_a_file_that_is_not_a_credential(tmp_path: Path, cli: CliRunner):
    secret = "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3\n"
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps({"installed": {"client_secret": CLIENT_SECRET, "k": secret}}))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
        runs = run_all(cli)
    assert all("is not a Google credentials file" in err for _, _, err in runs)
    assert_hidden([secret, CLIENT_SECRET], *runs)


def test_a_login_google_refuses(
    google: FakeGoogle, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
):
    google.clients[CLIENT_ID] = "the-real-secret-google-knows"
    wrong_secret = "GOCSPX-a-wrong-client-secret-0123"
    monkeypatch.setenv("PGB_OAUTH_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PGB_OAUTH_CLIENT_SECRET", wrong_secret)

    def open_in_browser(url: str, *args: object, **kwargs: object) -> bool:
        threading.Thread(target=anyio.run, args=(browse, google, url)).start()
        return True

    monkeypatch.setattr(webbrowser, "open", open_in_browser)
    code, out, err = invoke(cli, "--debug", "auth", "login")
    assert code == 3 and out == ""
    assert "Traceback" in err and "invalid_client" in err.strip().splitlines()[-1]
    assert_hidden([wrong_secret, "the-real-secret-google-knows"], (code, out, err))
