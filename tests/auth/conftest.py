"""Fixtures for the auth tests: an isolated home, the fake Google mounted on pgb's OAuth
clients, a service-account key, gcloud's ADC file and a pgb login."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from pittgoogle_cli.auth import oauth as google_oauth
from pittgoogle_cli.cli import app

from .fake_google import FakeGoogle

HOSTS = (
    "https://oauth2.googleapis.com",
    "https://accounts.google.com",
    "https://openidconnect.googleapis.com",
)
CLIENT_ID = "123-pgb.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-client-secret-value"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real credentials, config or gcloud can leak into a test (nor out of one)."""
    for name in list(os.environ):
        if name.startswith(("GOOGLE_", "PGB_", "PITTGOOGLE_", "CLOUDSDK_", "PUBSUB_EMU")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(home / ".config" / "gcloud"))
    monkeypatch.setenv("PATH", str(home / "bin"))  # no gcloud unless a test puts one there
    return home


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    fake = FakeGoogle()
    transport = httpx.ASGITransport(app=fake)
    for host in HOSTS:
        monkeypatch.setitem(google_oauth.MOUNTS, host, transport)
    return fake


@pytest.fixture(scope="session")
def rsa_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The service account's key, and another one Google does not know."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class KeyFile:
    path: Path
    email: str
    project: str
    pem: str  # a secret: must never be printed


def write_key_file(
    path: Path, key: rsa.RSAPrivateKey, email: str, project: str = "sa-project"
) -> KeyFile:
    info = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0123456789abcdef",
        "private_key": pem(key),
        "client_email": email,
        "client_id": "1000000000000",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info))
    return KeyFile(path, email, project, info["private_key"])


@pytest.fixture
def key_file(google: FakeGoogle, rsa_keys, tmp_path: Path) -> KeyFile:
    email = "puller@sa-project.iam.gserviceaccount.com"
    google.service_accounts[email] = rsa_keys[0].public_key()
    return write_key_file(tmp_path / "key.json", rsa_keys[0], email)


@dataclass
class UserLogin:
    refresh_token: str
    path: Path


@pytest.fixture
def adc_file(google: FakeGoogle, isolated: Path) -> UserLogin:
    """What `gcloud auth application-default login` leaves: no token_uri, a quota project."""
    google.clients[CLIENT_ID] = CLIENT_SECRET
    refresh = "1//adc-refresh-token-abcdefghijklmnop"
    scopes = [
        "https://www.googleapis.com/auth/cloud-platform",
        "https://www.googleapis.com/auth/userinfo.email",
        "openid",
    ]
    google.refresh_tokens[refresh] = (CLIENT_ID, scopes, "adc-user@example.org")
    path = isolated / ".config" / "gcloud" / "application_default_credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "account": "",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "quota_project_id": "quota-project",
                "refresh_token": refresh,
                "type": "authorized_user",
                "universe_domain": "googleapis.com",
            }
        )
    )
    return UserLogin(refresh, path)


@pytest.fixture
def oauth_client_env(google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> None:
    google.clients[CLIENT_ID] = CLIENT_SECRET
    monkeypatch.setenv("PGB_OAUTH_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PGB_OAUTH_CLIENT_SECRET", CLIENT_SECRET)


@pytest.fixture
def cli() -> Iterator[CliRunner]:
    yield CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    """``pgb ARGS`` in-process (so it reaches the fake Google): exit code, stdout, stderr."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


async def browse(google: FakeGoogle, url: str, tamper: dict[str, str] | None = None) -> int:
    """A user in a browser: open Google's consent page, click "Allow", follow the redirect
    to pgb's loopback server. ``tamper`` changes query parameters of that redirect."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=google)) as consent:
        page = await consent.get(url)
    assert page.status_code == 302, page.text
    back = httpx.URL(page.headers["location"])
    if tamper:
        back = back.copy_merge_params(tamper)
    async with httpx.AsyncClient() as browser:
        return (await browser.get(back)).status_code
