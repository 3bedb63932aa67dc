"""pgb's settings file: ``config.toml`` in the platform's config folder (``~/.config/pgb``
on Linux), TOML, one table per concern::

    [oauth]
    client_id = "..."
    client_secret = "..."

    [decode]
    schema_dirs = ["~/lsst-schemas"]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import platformdirs

from pittgoogle_cli._exceptions import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]


def config_dir() -> Path:
    """``~/.config/pgb`` on Linux (XDG), the platform's usual place elsewhere."""
    return Path(platformdirs.user_config_dir("pgb", appauthor=False))


def config_path() -> Path:
    return config_dir() / "config.toml"


def read_table(name: str) -> dict[str, Any]:
    """One table of ``config.toml``; empty when the file or the table is absent."""
    path = config_path()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise ConfigError(f"cannot read {path}: it is not valid TOML") from None
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table


def schema_dirs() -> list[Path]:
    """``[decode] schema_dirs`` of config.toml, as paths."""
    value = read_table("decode").get("schema_dirs", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{config_path()}: [decode] schema_dirs must be a list of folders")
    return [Path(v).expanduser() for v in value]
