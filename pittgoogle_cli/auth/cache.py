"""pgb's own login, kept in ``credentials.json`` in the user's config directory.

The file is created with mode 0600 (by ``os.open``, so it is never readable by others, not
even for a moment) and replaced atomically, so a crash or two pgb processes refreshing at
once never leave half a file. It holds the refresh token, the OAuth client it belongs to,
and the last access token with its expiry, so most runs need no refresh at all.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pittgoogle_cli._exceptions import AuthError
from pittgoogle_cli.auth.credentials import UserCredentials
from pittgoogle_cli.auth.oauth import TOKEN_URI, AccessToken
from pittgoogle_cli.config import config_dir

_KIND = "pgb_login"


def cache_path() -> Path:
    return config_dir() / "credentials.json"


@dataclass(frozen=True, slots=True)
class Login:
    """What ``pgb auth login`` obtained."""

    user: UserCredentials
    account: str | None = None
    scopes: tuple[str, ...] = ()
    access: AccessToken | None = field(default=None, repr=False)


def read_login(path: Path | None = None) -> Login | None:
    """The cached login, or ``None`` when nobody has logged in."""
    path = path or cache_path()
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        user = UserCredentials(
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            refresh_token=info["refresh_token"],
            token_uri=info.get("token_uri") or TOKEN_URI,
            path=path,
        )
        access = None
        if info.get("access_token"):
            expires_at = info.get("expires_at")
            access = AccessToken(info["access_token"], float(expires_at) if expires_at else None)
        return Login(user, info.get("account"), tuple(info.get("scopes") or ()), access)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise AuthError(f"pgb's login file {path} is damaged: run `pgb auth login` again") from None


def write_login(login: Login, path: Path | None = None) -> Path:
    """Save ``login`` atomically, readable by the user only."""
    path = path or cache_path()
    info: dict[str, Any] = {
        "type": _KIND,
        "account": login.account,
        "scopes": list(login.scopes),
        "client_id": login.user.client_id,
        "client_secret": login.user.client_secret,
        "refresh_token": login.user.refresh_token,
        "token_uri": login.user.token_uri,
    }
    if login.access is not None:
        info["access_token"] = login.access.value
        info["expires_at"] = login.access.expires_at
    _write_private(path, json.dumps(info, indent=2).encode())
    return path


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
