"""Service-account keys and gcloud's ADC file, against the fake Google's checks."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from pittgoogle_cli import AuthError
from pittgoogle_cli.auth.resolve import default_token_source, find_token_source, resolve_project
from pittgoogle_cli.google.http import RestClient

from .conftest import KeyFile, UserLogin, write_key_file
from .fake_google import JWT_BEARER, FakeGoogle

PUBSUB = "https://www.googleapis.com/auth/pubsub"
BIGQUERY = "https://www.googleapis.com/auth/bigquery"


def token_for(credentials: Path | None = None) -> str:
    async def main() -> str:
        source = default_token_source(emulator=False, credentials=credentials)
        token = await source.token()
        assert token is not None
        return token

    return anyio.run(main)


def test_a_key_file_gets_a_token_google_accepts(google: FakeGoogle, key_file: KeyFile):
    token = token_for(key_file.path)
    issued = google.valid(token)
    assert issued is not None and issued.email == key_file.email
    assert google.grants == [JWT_BEARER]
    [claims] = google.claims
    assert set(claims["scope"].split()) == {PUBSUB, BIGQUERY}  # in the JWT, not the form


def test_google_application_credentials_is_read(
    google: FakeGoogle, key_file: KeyFile, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file.path))
    assert google.valid(token_for()) is not None


def test_a_token_is_reused_until_shortly_before_it_expires(google: FakeGoogle, key_file: KeyFile):
    async def main() -> list[str]:
        source = find_token_source(key_file.path)
        return [await source.token() for _ in range(5)]

    assert len(set(anyio.run(main))) == 1
    assert len(google.grants) == 1


def test_a_key_google_does_not_know_is_an_auth_error(google: FakeGoogle, rsa_keys, tmp_path: Path):
    google.service_accounts["puller@p.iam.gserviceaccount.com"] = rsa_keys[0].public_key()
    wrong = write_key_file(tmp_path / "k.json", rsa_keys[1], "puller@p.iam.gserviceaccount.com")
    with pytest.raises(AuthError) as caught:
        token_for(wrong.path)
    message = str(caught.value)
    assert "Invalid JWT Signature" in message and str(wrong.path) in message
    assert "create a new key" in message
    assert google.refusals == ["invalid_grant"]


def test_a_key_for_another_project_is_refused_before_any_request(
    google: FakeGoogle, key_file: KeyFile, monkeypatch: pytest.MonkeyPatch
):
    with pytest.raises(AuthError) as caught:
        resolve_project("my-project", credentials=key_file.path)
    assert f"belongs to project {key_file.project!r}" in str(caught.value)
    with pytest.raises(AuthError):
        default_token_source(False, credentials=key_file.path, project="my-project")
    assert google.grants == []
    monkeypatch.setenv("PGB_ALLOW_CROSS_PROJECT_KEY", "1")
    assert resolve_project("my-project", credentials=key_file.path) == "my-project"


@pytest.mark.parametrize(
    "content, says",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not text"),
        (b"not json at all", "not JSON"),
        (b'["a list"]', "not a JSON object"),
        (b'{"installed": {"client_id": "x"}}', 'no "type"'),
        (b'{"type": "external_account"}', "does not support"),
        (b'{"type": "service_account", "client_email": "a@b"}', "missing 'private_key'"),
        (
            b'{"type": "service_account", "client_email": "a@b", "private_key": "-----BEGIN'
            b' PRIVATE KEY-----\\nbm9wZQ==\\n-----END PRIVATE KEY-----\\n"}',
            "cannot be read",
        ),
    ],
)
def test_a_file_that_is_not_a_credential_says_so(
    google: FakeGoogle, tmp_path: Path, content: bytes, says: str
):
    path = tmp_path / "credentials.json"
    path.write_bytes(content)
    with pytest.raises(AuthError) as caught:
        find_token_source(path)
    assert says in str(caught.value) and str(path) in str(caught.value)
    assert "bm9wZQ" not in str(caught.value)


def test_a_missing_file_is_an_auth_error(tmp_path: Path):
    with pytest.raises(AuthError, match="does not exist"):
        find_token_source(tmp_path / "nope.json")


def test_the_project_comes_in_the_documented_order(
    google: FakeGoogle, key_file: KeyFile, adc_file: UserLogin, monkeypatch: pytest.MonkeyPatch
):
    assert resolve_project() == "quota-project"  # only the ADC file
    assert resolve_project(credentials=key_file.path) == key_file.project
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", key_file.project)
    assert resolve_project(credentials=key_file.path) == key_file.project
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    assert resolve_project() == "env-project"
    assert resolve_project("flag-project") == "flag-project"


def test_no_credentials_at_all_means_no_project_and_a_clear_error():
    assert resolve_project() is None
    with pytest.raises(AuthError, match="pgb auth login"):
        default_token_source(emulator=False)
    assert type(default_token_source(emulator=True)).__name__ == "NoCredentials"


def test_adc_refreshes_at_googles_default_token_uri_and_sends_the_quota_project(
    google: FakeGoogle, adc_file: UserLogin
):
    assert "token_uri" not in json.loads(adc_file.path.read_text())
    seen: list[httpx.Request] = []

    def pubsub(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async def main() -> None:
        tokens = default_token_source(emulator=False)
        http = httpx.AsyncClient(transport=httpx.MockTransport(pubsub))
        client = RestClient("https://pubsub.googleapis.com/v1", tokens=tokens, http=http)
        await client.call("GET", "projects/p/subscriptions/s")
        await http.aclose()

    anyio.run(main)
    assert google.grants == ["refresh_token"]
    [request] = seen
    assert google.valid(request.headers["authorization"].removeprefix("Bearer ")) is not None
    assert request.headers["x-goog-user-project"] == "quota-project"


def test_a_revoked_adc_login_says_what_to_run(google: FakeGoogle, adc_file: UserLogin):
    del google.refresh_tokens[adc_file.refresh_token]
    with pytest.raises(AuthError) as caught:
        token_for()
    assert "gcloud auth application-default login" in str(caught.value)
    assert adc_file.refresh_token not in str(caught.value)


def test_gcloud_is_the_last_resort(isolated: Path):
    gcloud = isolated / "bin" / "gcloud"
    gcloud.write_text(
        '#!/bin/sh\n[ "$1 $2" = "auth print-access-token" ] && echo ya29.from-gcloud\n'
    )
    gcloud.chmod(0o755)
    assert token_for() == "ya29.from-gcloud"
    gcloud.write_text("#!/bin/sh\necho 'ERROR: (gcloud) no active account' >&2\nexit 1\n")
    with pytest.raises(AuthError, match="pgb auth login"):
        token_for()


def test_an_explicit_project_needs_no_credentials(monkeypatch: pytest.MonkeyPatch):
    assert resolve_project("my-project") == "my-project"  # e.g. against the emulator
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    assert resolve_project() == "env-project"
