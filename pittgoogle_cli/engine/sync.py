"""The engine for code without an event loop (Django views, scripts, cron jobs). In a
notebook, whose loop is already running, ``await pull(...)`` or ``async for`` instead."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import anyio

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine.pull import collect, pull
from pittgoogle_cli.engine.settings import PullOutcome, PullSettings
from pittgoogle_cli.outputs.base import Sink
from pittgoogle_cli.packets.models import Alert


def pull_sync(
    settings: PullSettings, *, out: str | Path | Sink | None = None, handle_signals: bool = False
) -> PullOutcome:
    """``pull(settings, out=out)``, run to its end."""
    return anyio.run(partial(pull, settings, out=out, handle_signals=handle_signals))


def fetch(settings: PullSettings) -> list[Alert]:
    """The alerts ``settings`` selects, in a list; they are acked once the list is
    complete (an error on the way returns them all). It needs a stop: ``max_alerts``,
    ``timeout`` or ``until_empty``."""
    if settings.max_alerts is None and settings.timeout is None and not settings.until_empty:
        raise ConfigError("fetch() needs a stop: give max_alerts, timeout or until_empty")
    return anyio.run(collect, settings)
