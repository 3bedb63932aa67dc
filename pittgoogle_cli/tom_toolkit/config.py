"""The TOM's settings for Pitt-Google, turned into pgb's: a ``PITTGOOGLE`` dict in the
TOM's ``settings.py``, with the old module's names honoured::

    PITTGOOGLE = {
        "project": "my-project",                  # where subscriptions live (yours)
        "credentials": "/srv/tom/pitt-google.json",  # a service-account key; optional
        "subscription": "ztf-loop",               # the stream forms' default
        "timeout": 10,                            # seconds a stream query may pull
        "max_alerts": 100,
        "cost_cap_gib": 1.0,                       # BigQuery: refuse queries over this
    }

Without ``credentials`` pgb's own chain applies (``GOOGLE_APPLICATION_CREDENTIALS``,
``pgb auth login`` run once by the operator, gcloud's application-default credentials);
pgb refreshes tokens itself and never prompts. ``GOOGLE_CLOUD_PROJECT`` as a Django
setting (the old module's) is the project when ``PITTGOOGLE`` names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pittgoogle_cli._exceptions import ConfigError

DEFAULT_TIMEOUT = 10.0  # seconds: a query page must come back while the user waits
DEFAULT_MAX_ALERTS = 100  # the TOM caches at most 100 results of a query
DEFAULT_TABLE = "ardent-cycling-243415.ztf.alerts_v4_02"
_KEYS = {
    "project",
    "credentials",
    "subscription",
    "timeout",
    "max_alerts",
    "cost_cap_gib",
    "emulator_host",
    "bigquery_emulator_host",
    "table",
    "dead_letter_dir",
}


@dataclass(frozen=True, slots=True)
class TomConfig:
    project: str | None = None
    credentials: Path | None = None
    subscription: str = "ztf-loop"
    timeout: float = DEFAULT_TIMEOUT
    max_alerts: int = DEFAULT_MAX_ALERTS
    cost_cap_gib: float = 1.0
    emulator_host: str | None = None
    bigquery_emulator_host: str | None = None
    table: str = DEFAULT_TABLE
    dead_letter_dir: Path | None = None


def from_settings(settings: Any) -> TomConfig:
    """``TomConfig`` from a Django settings object; ``ConfigError`` for an unknown key or
    a value of the wrong kind, naming it."""
    given = getattr(settings, "PITTGOOGLE", None) or {}
    if not isinstance(given, dict):
        raise ConfigError("settings.PITTGOOGLE must be a dict")
    unknown = sorted(set(given) - _KEYS)
    if unknown:
        raise ConfigError(f"settings.PITTGOOGLE: unknown key(s) {', '.join(unknown)}")
    project = given.get("project") or getattr(settings, "GOOGLE_CLOUD_PROJECT", None) or None
    dead_letters = given.get("dead_letter_dir")
    try:
        return TomConfig(
            project=str(project) if project else None,
            credentials=Path(given["credentials"]) if given.get("credentials") else None,
            subscription=str(given.get("subscription") or "ztf-loop"),
            timeout=float(given.get("timeout", DEFAULT_TIMEOUT)),
            max_alerts=int(given.get("max_alerts", DEFAULT_MAX_ALERTS)),
            cost_cap_gib=float(given.get("cost_cap_gib", 1.0)),
            emulator_host=given.get("emulator_host") or None,
            bigquery_emulator_host=given.get("bigquery_emulator_host") or None,
            table=str(given.get("table") or DEFAULT_TABLE),
            dead_letter_dir=Path(dead_letters) if dead_letters else None,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"settings.PITTGOOGLE: {exc}") from None
