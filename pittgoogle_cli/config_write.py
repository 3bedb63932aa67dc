"""Writing ``config.toml`` (``pgb config set``): one key at a time, the file's comments and
layout kept (tomlkit, which reading does without), created 0600 as it may hold a secret."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.config import SETTINGS, as_given, config_path, did_you_mean


def set_value(key: str, raw: str, *, profile: str | None = None) -> Path:
    """Write ``key = raw`` at the top of the file, or in ``[profiles.PROFILE]``, keeping
    the file's comments; created 0600, as it may hold a secret."""
    import tomlkit  # only here: reading needs no more than tomllib

    if key not in SETTINGS:
        raise ConfigError(f"no setting {key!r}{did_you_mean(key, SETTINGS)}")
    parsed = as_given(SETTINGS[key], raw)
    stored: Any = [str(p) for p in parsed] if isinstance(parsed, tuple) else str(raw)
    path = config_path()
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = tomlkit.document()
    except (OSError, ValueError):
        raise ConfigError(f"cannot read {path}: it is not valid TOML") from None
    if profile is None:
        document[key] = stored
    else:
        tables = document.setdefault("profiles", tomlkit.table(is_super_table=True))
        tables.setdefault(profile, tomlkit.table())[key] = stored
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(tomlkit.dumps(document))
    if SETTINGS[key].secret:
        path.chmod(0o600)
    return path
