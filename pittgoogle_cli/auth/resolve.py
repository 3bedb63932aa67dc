"""Which credentials pgb uses, in this order (the first that applies wins):

1. a Pub/Sub or BigQuery emulator: no credentials at all;
2. a credentials file given with ``--credentials FILE`` or ``GOOGLE_APPLICATION_CREDENTIALS``:
   a service-account key (JWT-bearer grant) or an ``authorized_user`` file (refresh grant);
3. pgb's own login (``pgb auth login``), from its token cache;
4. gcloud's application-default credentials
   (``gcloud auth application-default login``; refresh grant);
5. ``gcloud auth print-access-token``, when gcloud is installed.

The project is ``--project``, else ``GOOGLE_CLOUD_PROJECT``, else the key file's
``project_id``, else the application-default credentials' quota project.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import AuthError
from pittgoogle_cli.auth.cache import read_login
from pittgoogle_cli.auth.credentials import ServiceAccountKey, adc_path, load_credentials_file
from pittgoogle_cli.auth.oauth import fetch_userinfo_email
from pittgoogle_cli.auth.tokens import (
    GcloudTokenSource,
    LoginTokenSource,
    RefreshingTokenSource,
    ServiceAccountTokenSource,
    UserTokenSource,
)
from pittgoogle_cli.google.http import NoCredentials, TokenSource

__all__ = [
    "AuthStatus",
    "auth_status",
    "default_token_source",
    "find_token_source",
    "resolve_project",
]

# Set to use a service-account key on a project other than its own (granted through IAM).
ALLOW_OTHER_PROJECT_ENV = "PGB_ALLOW_CROSS_PROJECT_KEY"


def default_token_source(
    emulator: bool, *, credentials: Path | None = None, project: str | None = None
) -> TokenSource:
    """The token source for Google's APIs (see the module's docstring for the order).

    ``credentials`` overrides ``GOOGLE_APPLICATION_CREDENTIALS``; with ``project``, a
    service-account key that belongs to another project is an ``AuthError``.
    """
    if emulator:
        return NoCredentials()
    source = find_token_source(credentials)
    if project:
        _check_key_project(source, project)
    return source


def find_token_source(credentials: Path | None = None) -> RefreshingTokenSource:
    """The first credentials that apply; ``AuthError`` when there are none or a file is bad."""
    source = _first_source(credentials)
    if source is not None:
        return source
    raise AuthError(
        "no Google credentials: run `pgb auth login`, or pass a service-account key with "
        "--credentials FILE (or GOOGLE_APPLICATION_CREDENTIALS), or set "
        "PUBSUB_EMULATOR_HOST to use a local emulator"
    )


def resolve_project(project: str | None = None, *, credentials: Path | None = None) -> str | None:
    """``project``, else ``GOOGLE_CLOUD_PROJECT``, else the project of the credentials in
    use (a key's ``project_id``, the ADC file's quota project), else None.

    A service-account key from another project than an explicit one is an ``AuthError``.
    """
    explicit = config.text("project", project)
    if explicit is None:
        source = _first_source(credentials)
        return source.project if source is not None else None
    path = config.path("credentials", credentials)
    if path is not None:
        _check_key_project(_file_source(path), explicit)
    return explicit


@dataclass(frozen=True, slots=True)
class AuthStatus:
    """What ``pgb auth status`` shows; deliberately no token."""

    source: str
    account: str | None
    project: str | None
    scopes: tuple[str, ...]
    expires_at: float | None


async def auth_status(credentials: Path | None = None, project: str | None = None) -> AuthStatus:
    """Find the credentials, get a token with them (so this proves they work), describe it."""
    source = find_token_source(credentials)
    project = resolve_project(project, credentials=credentials)
    token = await source.token()
    current = source.current
    account = source.account or await fetch_userinfo_email(token)
    scopes = current.scopes if current else ()
    if not scopes and isinstance(source, ServiceAccountTokenSource):
        scopes = source.scopes
    if not scopes and isinstance(source, LoginTokenSource):
        scopes = source.login.scopes
    expires_at = current.expires_at if current else None
    return AuthStatus(source.label, account, project, scopes, expires_at)


def _first_source(credentials: Path | None) -> RefreshingTokenSource | None:
    path = config.path("credentials", credentials)
    if path is not None:
        return _file_source(path)
    login = read_login()
    if login is not None:
        return LoginTokenSource(login)
    adc = adc_path()
    if adc.is_file():
        return _file_source(adc)
    gcloud = shutil.which("gcloud")
    return GcloudTokenSource(gcloud) if gcloud is not None else None


def _file_source(path: Path) -> RefreshingTokenSource:
    found = load_credentials_file(path)
    if isinstance(found, ServiceAccountKey):
        return ServiceAccountTokenSource(found)
    source = UserTokenSource(found)
    if path != adc_path():
        source.label = f"user credentials file {path}"
    return source


def _check_key_project(source: TokenSource, project: str) -> None:
    if not isinstance(source, ServiceAccountTokenSource) or os.environ.get(ALLOW_OTHER_PROJECT_ENV):
        return
    own = source.key.project_id
    if own and own != project:
        raise AuthError(
            f"the service-account key {source.key.path} belongs to project {own!r}, not "
            f"{project!r}: use a key from {project!r}, or --project {own}; if the account "
            f"was granted access to {project!r}, set {ALLOW_OTHER_PROJECT_ENV}=1"
        )
