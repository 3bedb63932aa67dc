"""``pgb auth status``: every place it looked, in order, and which one won; ``--json`` one
object whether or not the credentials work (never a token or a secret); on an emulator,
no credentials needed for the API it stands in for, and exit code 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pittgoogle_cli.auth.cache import Login, cache_path, write_login
from pittgoogle_cli.auth.credentials import UserCredentials

from .conftest import CLIENT_ID, CLIENT_SECRET, KeyFile, UserLogin, invoke
from .fake_google import FakeGoogle

KINDS = ["credentials_file", "pgb_login", "gcloud_adc", "gcloud_cli"]


def pgb(*args: str, **env: str) -> tuple[int, str, str]:
    """``pgb ARGS`` as a user runs it, in the isolated home (no gcloud on PATH)."""
    done = subprocess.run(
        [sys.executable, "-m", "pittgoogle_cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def checked_lines(err: str) -> list[str]:
    lines = err.splitlines()
    assert lines[0].startswith("checked: 1. ")
    return [line[9:] for line in lines[:4]]


def pgb_login(google: FakeGoogle) -> tuple[str, Path]:
    google.clients[CLIENT_ID] = CLIENT_SECRET
    refresh = "1//pgb-login-refresh-token-0123456789"
    scopes = ["https://www.googleapis.com/auth/pubsub", "openid"]
    google.refresh_tokens[refresh] = (CLIENT_ID, scopes, "astronomer@example.org")
    user = UserCredentials(CLIENT_ID, CLIENT_SECRET, refresh)
    return refresh, write_login(Login(user, "astronomer@example.org", tuple(scopes)))


def test_no_credentials_lists_every_place_looked_at_then_one_error(isolated: Path):
    code, out, err = pgb("auth", "status")
    assert code == 3 and out == ""
    login = isolated / ".config" / "pgb" / "credentials.json"
    adc = isolated / ".config" / "gcloud" / "application_default_credentials.json"
    assert checked_lines(err) == [
        "1. credentials file (--credentials, $PGB_CREDENTIALS, $GOOGLE_APPLICATION_CREDENTIALS"
        " or config.toml's credentials): not set",
        f"2. pgb's login (pgb auth login): no {login}",
        "3. gcloud's application-default credentials (gcloud auth application-default login): "
        f"no {adc}",
        "4. gcloud auth print-access-token: no gcloud on PATH",
    ]
    [last] = err.splitlines()[4:]
    assert last.startswith("pgb: no Google credentials: run `gcloud auth application-default")


def test_json_is_one_object_even_when_nothing_works():
    code, out, err = pgb("auth", "status", "--json")
    assert code == 3
    [line] = out.splitlines()
    shown = json.loads(line)
    assert [c["kind"] for c in shown["checked"]] == KINDS
    assert not any(c["used"] or c["found"] for c in shown["checked"])
    assert shown["source"] is None and shown["emulators"] == {}
    assert shown["needed_by"] == ["pubsub", "bigquery"]
    assert err == f"pgb: {shown['error']}\n"


def test_on_the_pubsub_emulator_no_credentials_is_fine():
    code, out, err = pgb("auth", "status", PUBSUB_EMULATOR_HOST="127.0.0.1:8085")
    assert code == 0 and out == ""
    said = [line for line in err.splitlines() if line.startswith("pgb: ")]
    assert said[0] == (
        "pgb: credentials are not needed for Pub/Sub on the emulator at 127.0.0.1:8085 "
        "(PUBSUB_EMULATOR_HOST)"
    )
    assert said[1].startswith("pgb: BigQuery may still need them, and none work here: no Google")
    assert len(said) == 2 and len(checked_lines(err)) == 4

    code, out, _ = pgb("auth", "status", "--json", PUBSUB_EMULATOR_HOST="127.0.0.1:8085")
    shown = json.loads(out)
    assert code == 0
    assert shown["emulators"] == {"pubsub": "127.0.0.1:8085"} and shown["needed_by"] == ["bigquery"]
    assert shown["error"].startswith("no Google credentials")


def test_on_both_emulators_nothing_needs_credentials():
    env = {"PUBSUB_EMULATOR_HOST": "127.0.0.1:8085", "BIGQUERY_EMULATOR_HOST": "127.0.0.1:9050"}
    code, out, err = pgb("auth", "status", **env)
    assert code == 0 and out == ""
    assert "may still need" not in err
    assert "not needed for BigQuery on the emulator at 127.0.0.1:9050" in err


def test_the_first_found_wins_and_the_later_ones_are_shown_unused(
    google: FakeGoogle, adc_file: UserLogin, cli: CliRunner
):
    refresh, login = pgb_login(google)
    code, out, err = invoke(cli, "auth", "status")
    assert code == 0 and out == ""
    lines = checked_lines(err)
    assert lines[0].endswith(": not set")
    assert (
        lines[1] == f"2. pgb's login (pgb auth login): {login} (saved by pgb auth login)  <- used"
    )
    assert lines[2].endswith(
        f": {adc_file.path} (saved by gcloud; not used: one above comes first)"
    )
    assert f"source:  pgb login {login}" in err
    assert "account: astronomer@example.org" in err

    code, out, err = invoke(cli, "auth", "status", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["error"] is None and shown["source"] == f"pgb login {login}"
    assert [c["used"] for c in shown["checked"]] == [False, True, False, False]
    assert shown["checked"][2]["found"] == str(adc_file.path)
    [token] = google.tokens  # the one access token pgb got, and kept in its login file
    seen = out + err
    for secret in (token, refresh, adc_file.refresh_token, CLIENT_SECRET):
        assert secret not in seen
    assert token in cache_path().read_text()  # it was there to be leaked, and was not


def test_a_key_says_where_its_path_came_from(
    key_file: KeyFile, cli: CliRunner, monkeypatch, tmp_path: Path
):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file.path))
    code, _, err = invoke(cli, "auth", "status")
    assert code == 0, err
    assert checked_lines(err)[0].endswith(
        f": {key_file.path} (from $GOOGLE_APPLICATION_CREDENTIALS)  <- used"
    )
    code, out, err = invoke(cli, "auth", "status", "--credentials", str(key_file.path), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["checked"][0]["detail"] == "from --credentials"
    assert shown["account"] == key_file.email and shown["project"] == key_file.project
    for piece in key_file.pem.splitlines()[1:-1]:
        assert piece not in out + err


def test_working_credentials_on_the_emulator_are_shown_with_a_note(
    key_file: KeyFile, cli: CliRunner, monkeypatch
):
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")
    code, out, err = invoke(cli, "auth", "status", "--credentials", str(key_file.path))
    assert code == 0 and out == ""
    assert f"account: {key_file.email}" in err
    assert err.splitlines()[-2:] == [
        "note:    credentials are not needed for Pub/Sub on the emulator at 127.0.0.1:8085 "
        "(PUBSUB_EMULATOR_HOST)",
        "note:    BigQuery may still need them: the ones above",
    ]
