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
from dataclasses import dataclass, field, replace
from pathlib import Path

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import AuthError, PgbError
from pittgoogle_cli.auth.cache import cache_path, read_login
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
    "Checked",
    "auth_status",
    "credential_checks",
    "default_token_source",
    "emulators",
    "failed_status",
    "find_token_source",
    "resolve_project",
]

# Set to use a service-account key on a project other than its own (granted through IAM).
ALLOW_OTHER_PROJECT_ENV = "PGB_ALLOW_CROSS_PROJECT_KEY"
# An API whose variable is set goes to that emulator, with no credentials at all.
EMULATOR_ENV = {"pubsub": "PUBSUB_EMULATOR_HOST", "bigquery": "BIGQUERY_EMULATOR_HOST"}


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
        "no Google credentials: run `gcloud auth application-default login` (no set-up) or "
        "`pgb auth login`, or pass a service-account key with --credentials FILE (or "
        "GOOGLE_APPLICATION_CREDENTIALS), or set PUBSUB_EMULATOR_HOST to use a local emulator"
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
class Checked:
    """One place pgb looks for credentials, and what it found there (``pgb auth status``)."""

    kind: str  # credentials_file, pgb_login, gcloud_adc, gcloud_cli
    source: str  # what it is, and how a user sets it
    found: str | None  # the file or program found there; None: nothing
    detail: str  # where the setting came from, or what is missing
    used: bool = False  # the first found: the one pgb uses


@dataclass(frozen=True, slots=True)
class AuthStatus:
    """What ``pgb auth status`` shows; deliberately no token. ``checked``: every place looked
    at, in order; ``emulators``: the APIs that go to an emulator (``pubsub``: its host) and
    need no credentials; ``error``: why the credentials found do not work, if they do not."""

    source: str | None
    account: str | None
    project: str | None
    scopes: tuple[str, ...]
    expires_at: float | None
    checked: tuple[Checked, ...] = ()
    emulators: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def needed_by(self) -> tuple[str, ...]:
        """The APIs that need credentials: those not on an emulator."""
        return tuple(api for api in EMULATOR_ENV if api not in self.emulators)


def emulators() -> dict[str, str]:
    """The APIs sent to an emulator, and its host (``PUBSUB_EMULATOR_HOST``, ...)."""
    return {api: host for api, name in EMULATOR_ENV.items() if (host := os.environ.get(name))}


async def auth_status(credentials: Path | None = None, project: str | None = None) -> AuthStatus:
    """Find the credentials, get a token with them (so this proves they work), describe it.

    Credentials that do not work raise (``AuthError``; ``Unreachable`` when Google is);
    ``failed_status`` then describes what was checked."""
    checked = credential_checks(credentials)
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
    return AuthStatus(
        source.label, account, project, scopes, expires_at, checked, emulators(), None
    )


def failed_status(
    error: PgbError, credentials: Path | None = None, project: str | None = None
) -> AuthStatus:
    """What was checked, and why it failed (``error``'s message: never a secret)."""
    try:
        checked = credential_checks(credentials)
        project = config.text("project", project)
    except PgbError:  # the same bad setting as ``error``
        checked = ()
    return AuthStatus(None, None, project, (), None, checked, emulators(), str(error))


def credential_checks(credentials: Path | None = None) -> tuple[Checked, ...]:
    """Every place pgb looks for credentials, in order, and what is there: no network, and
    nothing read but the settings (a damaged file shows when it is used)."""
    chosen = config.resolve("credentials", credentials)
    env = ", ".join(f"${name}" for name in config.SETTINGS["credentials"].env)
    gcloud = shutil.which("gcloud")
    adc, login = adc_path(), cache_path()
    checks = [
        Checked(
            "credentials_file",
            f"credentials file (--credentials, {env} or config.toml's credentials)",
            str(chosen.value) if chosen.value is not None else None,
            f"from {chosen.source}" if chosen.value is not None else "not set",
        ),
        Checked(
            "pgb_login",
            "pgb's login (pgb auth login)",
            str(login) if login.is_file() else None,
            "saved by pgb auth login" if login.is_file() else f"no {login}",
        ),
        Checked(
            "gcloud_adc",
            "gcloud's application-default credentials (gcloud auth application-default login)",
            str(adc) if adc.is_file() else None,
            "saved by gcloud" if adc.is_file() else f"no {adc}",
        ),
        Checked(
            "gcloud_cli",
            "gcloud auth print-access-token",
            gcloud,
            "on PATH" if gcloud else "no gcloud on PATH",
        ),
    ]
    first = next((n for n, check in enumerate(checks) if check.found is not None), None)
    if first is not None:
        checks[first] = replace(checks[first], used=True)
    return tuple(checks)


def _first_source(credentials: Path | None) -> RefreshingTokenSource | None:
    used = next((c for c in credential_checks(credentials) if c.used), None)
    if used is None or used.found is None:
        return None
    if used.kind == "pgb_login":
        login = read_login()
        if login is None:  # logged out since it was checked: look again
            return _first_source(credentials)
        return LoginTokenSource(login)
    if used.kind == "gcloud_cli":
        return GcloudTokenSource(used.found)
    return _file_source(Path(used.found))  # a credentials file, or gcloud's ADC file


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
