"""pgb's settings file, ``config.toml`` in the platform's config folder (``~/.config/pgb``
on Linux), and where each setting comes from::

    project = "my-project"              # the defaults, used when no profile is named
    subscription = "ztf-loop"

    [profiles.observatory]              # pgb --profile observatory ..., or PGB_PROFILE
    project = "obs-project"
    credentials = "~/keys/obs.json"
    out = "~/alerts/tonight.jsonl"

Each setting resolves in this order, the first that is set winning: a command's flag, the
environment (``PGB_PROJECT``, ``GOOGLE_CLOUD_PROJECT``, ...), the named profile, the top
of the file, pgb's default. Schema folders add up instead: the flag's first, then the rest.
The older tables ``[oauth] client_id/client_secret`` and ``[decode] schema_dirs`` still work.
Writing the file (``pgb config set``) is ``config_write``'s.
"""

from __future__ import annotations

import difflib
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pittgoogle_cli._exceptions import ConfigError

PROFILE_ENV = "PGB_PROFILE"
NO_PROJECT = (
    "no Google Cloud project: pass --project, set GOOGLE_CLOUD_PROJECT, "
    "or run `pgb config set project ID`"
)


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of the file: the variables that override it, its kind and what it is for."""

    env: tuple[str, ...]
    kind: str  # "str", "path", "paths", "size"
    doc: str
    default: Any = None
    secret: bool = False


SETTINGS: dict[str, Setting] = {
    "project": Setting(("PGB_PROJECT", "GOOGLE_CLOUD_PROJECT"), "str", "your Google Cloud project"),
    "credentials": Setting(
        ("PGB_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"),
        "path",
        "a credentials file (service-account key) instead of your login",
    ),
    "subscription": Setting(("PGB_SUBSCRIPTION",), "str", "pgb pull's subscription"),
    "out": Setting(("PGB_OUT",), "str", "pgb pull's --out"),
    "schema_dirs": Setting(("PGB_SCHEMA_DIRS",), "paths", "folders of .avsc schemas", ()),
    "max_bytes": Setting(("PGB_MAX_BYTES",), "size", "pgb query's cost cap", "10GiB"),
    "dead_letter_dir": Setting(
        ("PGB_DEAD_LETTER_DIR",), "path", "where undecodable alerts are set aside"
    ),
    "oauth_client_id": Setting(
        ("PGB_OAUTH_CLIENT_ID", "PITTGOOGLE_OAUTH_CLIENT_ID"),
        "str",
        "the OAuth client of pgb auth login",
    ),
    "oauth_client_secret": Setting(
        ("PGB_OAUTH_CLIENT_SECRET", "PITTGOOGLE_OAUTH_CLIENT_SECRET"),
        "str",
        "its secret",
        secret=True,
    ),
}
# Tables of the first config files, read as the settings they became.
_LEGACY = {
    ("oauth", "client_id"): "oauth_client_id",
    ("oauth", "client_secret"): "oauth_client_secret",
    ("decode", "schema_dirs"): "schema_dirs",
}
_TABLES = {"profiles", "oauth", "decode"}
_chosen: dict[str, str | None] = {"profile": None}


@dataclass(frozen=True, slots=True)
class Resolved:
    """A setting's value and where it came from (``--project``, ``$GOOGLE_CLOUD_PROJECT``,
    ``profile observatory``, ``config.toml``, ``default``)."""

    key: str
    value: Any
    source: str

    @property
    def shown(self) -> str:
        """The value as ``pgb config show`` prints it: secrets masked."""
        if self.value is None or self.value == ():
            return "-"
        if SETTINGS[self.key].secret:
            return "****"
        if isinstance(self.value, tuple):
            return ", ".join(str(v) for v in self.value)
        return str(self.value)


def config_dir() -> Path:
    """``~/.config/pgb`` on Linux (XDG), the platform's usual place elsewhere."""
    import platformdirs  # here: pgb --version and --help need no settings file

    return Path(platformdirs.user_config_dir("pgb", appauthor=False))


def config_path() -> Path:
    return (
        Path(os.environ["PGB_CONFIG"])
        if os.environ.get("PGB_CONFIG")
        else config_dir() / "config.toml"
    )


def use_profile(name: str | None) -> None:
    """Name the profile every setting is read from (``--profile``); None: ``$PGB_PROFILE``."""
    _chosen["profile"] = name


def active_profile() -> str | None:
    return _chosen["profile"] or os.environ.get(PROFILE_ENV) or None


def resolve(key: str, flag: Any = None, *, flag_name: str | None = None) -> Resolved:
    """The value of ``key``: ``flag`` when given, else the first that is set of the
    environment, the active profile, the top of the file and the default."""
    setting = SETTINGS[key]
    if flag is not None and flag != () and flag != []:
        return Resolved(key, flag, flag_name or f"--{key.replace('_', '-')}")
    for name in setting.env:
        if raw := os.environ.get(name):
            return Resolved(key, as_given(setting, raw), f"${name}")
    document = _document()
    profile = active_profile()
    if profile is not None:
        table = _profile(document, profile)
        if key in table:
            return Resolved(key, _checked(key, table[key], profile), f"profile {profile}")
    top = _top_level(document)
    if key in top:
        return Resolved(key, _checked(key, top[key], None), str(config_path()))
    return Resolved(key, setting.default, "default")


def value(key: str, flag: Any = None) -> Any:
    """``resolve(key, flag).value``."""
    return resolve(key, flag).value


def text(key: str, flag: str | None = None) -> str | None:
    """A string setting (project, subscription, out, ...), or None."""
    found = value(key, flag)
    return None if found is None else str(found)


def path(key: str, flag: Path | None = None) -> Path | None:
    """A file or folder setting (credentials, dead_letter_dir), or None."""
    found = value(key, flag)
    return None if found is None else Path(found)


def resolved_all() -> list[Resolved]:
    """Every setting as it resolves now (``pgb config show``)."""
    return [resolve(key) for key in SETTINGS]


def profiles() -> list[str]:
    table = _document().get("profiles", {})
    return sorted(table) if isinstance(table, dict) else []


def schema_dirs() -> list[Path]:
    """The schema folders of the environment, profile or file (flags come on top)."""
    return list(value("schema_dirs"))


def read_table(name: str) -> dict[str, Any]:
    """One table of ``config.toml``; empty when the file or the table is absent."""
    table = _document().get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config_path()}: [{name}] must be a table")
    return table


_cache: dict[str, Any] = {"stamp": None, "document": {}}


def _document() -> dict[str, Any]:
    """The file as a dict (empty if absent), read again only when it changed; an unknown
    key warns once, by name."""
    path = config_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError:
        raise ConfigError(f"cannot read {path}") from None
    stamp = (str(path), stat.st_mtime_ns, stat.st_size)
    if _cache["stamp"] != stamp:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(f"cannot read {path}: it is not valid TOML") from None
        _cache.update(stamp=stamp, document=document)
        _warn_unknown(path, document)
    document = _cache["document"]
    assert isinstance(document, dict)
    return document


def _top_level(document: dict[str, Any]) -> dict[str, Any]:
    top = {k: v for k, v in document.items() if k in SETTINGS}
    for (table, key), setting in _LEGACY.items():
        section = document.get(table)
        if isinstance(section, dict) and key in section and setting not in top:
            top[setting] = section[key]
    return top


def _profile(document: dict[str, Any], name: str) -> dict[str, Any]:
    tables = document.get("profiles", {})
    table = tables.get(name) if isinstance(tables, dict) else None
    if not isinstance(table, dict):
        known = ", ".join(profiles()) or "none"
        raise ConfigError(f"no profile {name!r} in {config_path()} (profiles: {known})")
    return table


def _warn_unknown(path: Path, document: dict[str, Any]) -> None:
    unknown = [k for k in document if k not in SETTINGS and k not in _TABLES]
    for table, section in document.items():
        if table in ("oauth", "decode") and isinstance(section, dict):
            legacy = {key for t, key in _LEGACY if t == table}
            unknown += [f"{table}.{k}" for k in section if k not in legacy]
    profiles_table = document.get("profiles", {})
    if isinstance(profiles_table, dict):
        for name, table in profiles_table.items():
            if isinstance(table, dict):
                unknown += [f"profiles.{name}.{k}" for k in table if k not in SETTINGS]
    for key in unknown:
        last = key.rsplit(".", 1)[-1]
        warnings.warn(
            f"{path}: unknown key {key!r} ignored{did_you_mean(last, SETTINGS)}",
            UserWarning,
            stacklevel=3,
        )


def did_you_mean(key: str, known: dict[str, Setting]) -> str:
    """`` (did you mean project?)`` for a near miss of a key of ``known``, else ``""``."""
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def as_given(setting: Setting, raw: str) -> Any:
    """A value given as text (a variable, ``pgb config set``), of its setting's kind."""
    if setting.kind == "paths":
        return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p)
    if setting.kind == "path":
        return Path(raw).expanduser()
    return raw


def _checked(key: str, raw: Any, profile: str | None) -> Any:
    """A value of the file, of the kind its key needs; ``ConfigError`` naming the key."""
    setting = SETTINGS[key]
    where = f"[profiles.{profile}] " if profile else ""
    if setting.kind == "paths":
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(f"{config_path()}: {where}{key} must be a list of folders")
        return tuple(Path(v).expanduser() for v in raw)
    if setting.kind == "size" and isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{config_path()}: {where}{key} must be a non-empty string")
    return Path(raw).expanduser() if setting.kind == "path" else raw
