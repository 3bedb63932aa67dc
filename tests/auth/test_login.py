"""``pgb auth login``: the installed-app flow end to end, with a simulated browser."""

from __future__ import annotations

import json
import stat
import threading
import time
import webbrowser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest
from typer.testing import CliRunner

from pittgoogle_cli import AuthError
from pittgoogle_cli.auth.cache import Login, cache_path
from pittgoogle_cli.auth.login import login, oauth_client

from .conftest import CLIENT_ID, CLIENT_SECRET, browse, invoke
from .fake_google import FakeGoogle


def run_login(google: FakeGoogle, tamper: dict[str, str] | None = None) -> tuple[Login, list[str]]:
    told: list[str] = []
    urls: list[str] = []

    async def main() -> Login | AuthError:
        async with anyio.create_task_group() as tg:

            def open_browser(url: str) -> bool:
                urls.append(url)
                tg.start_soon(browse, google, url, tamper)
                return True

            try:
                return await login(oauth_client(), open_browser=open_browser, tell=told.append)
            except AuthError as exc:  # raised below, outside the task group's ExceptionGroup
                return exc

    done = anyio.run(main)
    if isinstance(done, AuthError):
        raise done
    return done, [*urls, *told]


@pytest.mark.usefixtures("oauth_client_env")
def test_login_end_to_end_saves_a_private_cache(google: FakeGoogle):
    done, (url, *_) = run_login(google)
    asked = parse_qs(urlsplit(url).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["access_type"] == ["offline"]
    assert set(asked["scope"][0].split()) >= {
        "https://www.googleapis.com/auth/pubsub",
        "https://www.googleapis.com/auth/bigquery",
    }
    assert google.grants == ["authorization_code"]  # the PKCE verifier matched the challenge
    assert done.account == "astronomer@example.org"
    path = cache_path()
    assert done.user.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] in google.refresh_tokens


@pytest.mark.usefixtures("oauth_client_env")
def test_a_redirect_with_another_state_is_refused(google: FakeGoogle):
    with pytest.raises(AuthError, match="another login's state"):
        run_login(google, tamper={"state": "forged"})
    assert google.grants == [] and not cache_path().exists()


@pytest.mark.usefixtures("oauth_client_env")
def test_a_code_issued_for_another_pkce_challenge_is_refused(
    google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
):
    # A code intercepted by another app on this machine is useless without its verifier.
    consent = google._consent
    monkeypatch.setattr(google, "_consent", lambda q: consent({**q, "code_challenge": "other"}))
    with pytest.raises(AuthError) as caught:
        run_login(google)
    assert "Invalid code verifier" in str(caught.value)
    assert "run `pgb auth login` again" in str(caught.value)
    assert google.refusals == ["invalid_grant"] and not cache_path().exists()


@pytest.mark.usefixtures("oauth_client_env")
def test_a_denied_consent_is_one_clear_error(google: FakeGoogle):
    with pytest.raises(AuthError, match="access_denied"):
        run_login(google, tamper={"error": "access_denied", "code": ""})


def test_without_a_client_id_login_says_where_to_put_one(cli: CliRunner):
    code, out, err = invoke(cli, "auth", "login", "--no-browser")
    assert code == 3 and out == ""
    assert err.startswith("pgb: no OAuth client id") and "PGB_OAUTH_CLIENT_ID" in err
    assert "run `gcloud auth application-default login` instead" in err  # the zero-setup path
    assert len(err.strip().splitlines()) == 1


def test_the_client_comes_from_env_old_env_or_config(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
):
    config = isolated / ".config" / "pgb" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[oauth]\nclient_id = "from-config"\nclient_secret = "s1"\n')
    assert oauth_client().client_id == "from-config"
    monkeypatch.setenv("PITTGOOGLE_OAUTH_CLIENT_ID", "from-old-module")
    monkeypatch.setenv("PITTGOOGLE_OAUTH_CLIENT_SECRET", "s2")
    assert oauth_client().client_id == "from-old-module"
    monkeypatch.setenv("PGB_OAUTH_CLIENT_ID", "from-pgb-env")
    monkeypatch.setenv("PGB_OAUTH_CLIENT_SECRET", "s3")
    assert (oauth_client().client_id, oauth_client().client_secret) == ("from-pgb-env", "s3")
    assert "s3" not in repr(oauth_client())


@pytest.mark.usefixtures("oauth_client_env")
def test_cli_login_then_status_print_token_and_logout(
    google: FakeGoogle, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
):
    def open_in_browser(url: str, *args: object, **kwargs: object) -> bool:
        threading.Thread(target=anyio.run, args=(browse, google, url)).start()
        return True

    monkeypatch.setattr(webbrowser, "open", open_in_browser)
    code, out, err = invoke(cli, "auth", "login")
    assert code == 0, err
    assert out == ""
    assert "https://accounts.google.com/o/oauth2/v2/auth?" in err
    assert "logged in as astronomer@example.org" in err

    code, out, err = invoke(cli, "auth", "status")
    assert code == 0, err
    assert out == ""
    assert "account: astronomer@example.org" in err and "pgb login" in err
    assert "https://www.googleapis.com/auth/pubsub" in err

    code, out, err = invoke(cli, "auth", "print-token")
    assert code == 0 and err == ""
    token = out.strip()
    assert out == token + "\n" and google.valid(token) is not None
    assert google.grants == ["authorization_code"]  # the cached token was good: no refresh

    code, _, err = invoke(cli, "auth", "status", "--json")
    assert code == 0 and token not in _ and token not in err
    assert json.loads(_)["account"] == "astronomer@example.org"

    refresh = json.loads(cache_path().read_text())["refresh_token"]
    code, out, err = invoke(cli, "auth", "logout")
    assert code == 0, err
    assert google.revoked == [refresh] and google.valid(token) is None
    assert not cache_path().exists()
    code, _, err = invoke(cli, "auth", "logout")
    assert code == 0 and "nothing to do" in err


@pytest.mark.usefixtures("oauth_client_env")
def test_no_browser_explains_ssh_port_forwarding(google: FakeGoogle):
    told: list[str] = []

    async def main() -> Login:
        async with anyio.create_task_group() as tg:

            def tell(line: str) -> None:
                told.append(line)
                if "https://accounts.google.com" in line:  # the user copies the URL
                    tg.start_soon(browse, google, line.split()[-1])

            return await login(oauth_client(), open_browser=None, tell=tell)

    started = time.monotonic()
    done = anyio.run(main)
    assert done.account == "astronomer@example.org"
    port = urlsplit(parse_qs(urlsplit(told[0].split()[-1]).query)["redirect_uri"][0]).port
    assert f"ssh -N -L {port}:localhost:{port}" in "\n".join(told)
    assert time.monotonic() - started < 30
    assert CLIENT_SECRET not in "\n".join(told)


@pytest.mark.usefixtures("oauth_client_env")
def test_a_browser_that_never_comes_back_times_out(google: FakeGoogle):
    async def main() -> Login:
        return await login(oauth_client(), open_browser=None, tell=lambda _: None, wait=0.3)

    with pytest.raises(AuthError, match="no answer from the browser"):
        anyio.run(main)


def test_a_client_id_without_its_secret_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PGB_OAUTH_CLIENT_ID", CLIENT_ID)
    with pytest.raises(AuthError, match="PGB_OAUTH_CLIENT_SECRET is not"):
        oauth_client()


def test_logout_deletes_a_damaged_login_file(cli: CliRunner):
    path = cache_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    code, _, err = invoke(cli, "auth", "logout")
    assert code == 0 and not path.exists()
    assert "damaged" in err and f"deleted {path}" in err
    code, _, err = invoke(cli, "auth", "status")
    assert code == 3 and "no Google credentials" in err
