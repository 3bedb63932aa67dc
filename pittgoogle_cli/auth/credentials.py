"""Google credential files: service-account keys and user (``authorized_user``) logins.

Parsing only, no network. The secret parts are kept out of every repr and every message:
an error names the file and what is wrong with it, never its content.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

from pittgoogle_cli._exceptions import AuthError
from pittgoogle_cli.auth.oauth import TOKEN_URI


@dataclass(frozen=True, slots=True)
class ServiceAccountKey:
    """A ``"type": "service_account"`` key file."""

    path: Path
    client_email: str
    private_key: RSAKey = field(repr=False)
    private_key_id: str | None = None
    project_id: str | None = None
    token_uri: str = TOKEN_URI


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """A refresh token and the OAuth client it belongs to (gcloud's ADC, pgb's login)."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_uri: str = TOKEN_URI
    quota_project: str | None = None
    path: Path | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret, self.refresh_token)


def adc_path() -> Path:
    """Where ``gcloud auth application-default login`` writes its credentials."""
    if config := os.environ.get("CLOUDSDK_CONFIG"):
        root = Path(config)
    elif sys.platform == "win32":
        root = Path(os.environ.get("APPDATA", Path.home())) / "gcloud"
    else:
        root = Path.home() / ".config" / "gcloud"
    return root / "application_default_credentials.json"


def load_credentials_file(path: Path) -> ServiceAccountKey | UserCredentials:
    """Read a Google credentials file; ``AuthError`` saying what is wrong if it is not one."""
    info = _read_json(path)
    kind = info.get("type")
    if kind == "service_account":
        return _service_account(path, info)
    if kind == "authorized_user":
        return _user(path, info)
    if kind is None:
        raise AuthError(f'{path} is not a Google credentials file (no "type"); {_FIX}')
    raise AuthError(
        f"{path} holds {str(kind)[:40]!r} credentials, which pgb does not support; {_FIX}"
    )


_FIX = (
    "pass a service-account key (JSON) with --credentials or GOOGLE_APPLICATION_CREDENTIALS, "
    "or run `pgb auth login`"
)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(f"credentials file {path} does not exist; {_FIX}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not text"
        raise AuthError(f"cannot read credentials file {path} ({reason}); {_FIX}") from None
    try:
        info = json.loads(text)
    except ValueError:
        raise AuthError(f"{path} is not a Google credentials file (not JSON); {_FIX}") from None
    if not isinstance(info, dict):
        raise AuthError(f"{path} is not a Google credentials file (not a JSON object); {_FIX}")
    return info


def _text(path: Path, info: dict[str, Any], name: str) -> str:
    value = info.get(name)
    if not isinstance(value, str) or not value:
        raise AuthError(f"{path} is missing {name!r}: it is not a complete credentials file")
    return value


def _optional(info: dict[str, Any], name: str) -> str | None:
    value = info.get(name)
    return value if isinstance(value, str) and value else None


def _service_account(path: Path, info: dict[str, Any]) -> ServiceAccountKey:
    pem = _text(path, info, "private_key")
    try:
        key = RSAKey.import_key(pem)
    except Exception:  # joserfc and cryptography raise many kinds; none is worth showing
        raise AuthError(
            f"the private key in {path} cannot be read: download a new key for the service "
            "account (IAM > Service accounts > Keys)"
        ) from None
    if not key.is_private:
        raise AuthError(f"{path} holds a public key only; download a new key")
    return ServiceAccountKey(
        path=path,
        client_email=_text(path, info, "client_email"),
        private_key=key,
        private_key_id=_optional(info, "private_key_id"),
        project_id=_optional(info, "project_id"),
        token_uri=_optional(info, "token_uri") or TOKEN_URI,
    )


def _user(path: Path, info: dict[str, Any]) -> UserCredentials:
    return UserCredentials(
        client_id=_text(path, info, "client_id"),
        client_secret=_text(path, info, "client_secret"),
        refresh_token=_text(path, info, "refresh_token"),
        token_uri=_optional(info, "token_uri") or TOKEN_URI,  # gcloud's ADC file has none
        quota_project=_optional(info, "quota_project_id"),
        path=path,
    )
