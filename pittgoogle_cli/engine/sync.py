"""The engine for code without an event loop (Django views, scripts, cron jobs). In a
notebook, whose loop is already running, ``await pull(...)`` or ``async for`` instead."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, ExitStack
from functools import partial
from pathlib import Path
from types import TracebackType

from anyio.from_thread import BlockingPortal, start_blocking_portal

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine.batch import Engine
from pittgoogle_cli.engine.loop import loop_factory, run
from pittgoogle_cli.engine.pull import collect, gather, pull, sequential
from pittgoogle_cli.engine.settings import PullOutcome, PullSettings
from pittgoogle_cli.outputs.base import Sink
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.pubsub.sequential import SequentialStream


def pull_sync(
    settings: PullSettings, *, out: str | Path | Sink | None = None, handle_signals: bool = False
) -> PullOutcome:
    """``pull(settings, out=out)``, run to its end."""
    return run(partial(pull, settings, out=out, handle_signals=handle_signals))


def fetch(settings: PullSettings) -> list[Alert]:
    """The alerts ``settings`` selects, in a list; they are acked once the list is
    complete (an error on the way returns them all). It needs a stop: ``max_alerts``,
    ``timeout`` or ``until_empty``."""
    _needs_stop(settings, "fetch()")
    return run(collect, settings)


def _needs_stop(settings: PullSettings, caller: str) -> None:
    if settings.max_alerts is None and settings.timeout is None and not settings.until_empty:
        raise ConfigError(f"{caller} needs a stop: give max_alerts, timeout or until_empty")


class HeldAlerts:
    """The alerts ``settings`` selects, pulled and *held*: acked only when ``ack`` says
    so, and whatever is not acked by ``close`` goes back to the subscription at once. For
    code that must finish its own work (a database commit, a web page's cache) before an
    alert may be acked, without an event loop of its own::

        with HeldAlerts(settings) as held:
            for alert in held.alerts:
                save(alert)
                held.ack([alert])

    Held alerts stay leased for the subscription's ack deadline (60 s for the ones pgb
    creates); past it Pub/Sub delivers them again (never lost). The pulls run on an
    event loop in a thread of its own; the ``PullSettings`` need a stop, as ``fetch``'s."""

    def __init__(self, settings: PullSettings) -> None:
        _needs_stop(settings, "HeldAlerts")
        self._exits = ExitStack()
        self._ack_ids: dict[int, str] = {}
        self.alerts: list[Alert] = []
        try:
            self._portal: BlockingPortal = self._exits.enter_context(
                start_blocking_portal(backend_options={"loop_factory": loop_factory()})
            )
            session: AbstractContextManager[tuple[SequentialStream, Engine]]
            session = self._portal.wrap_async_context_manager(sequential(settings))
            self._stream, engine = self._exits.enter_context(session)
            found = self._portal.call(gather, self._stream, engine, settings.max_alerts)
        except BaseException:
            self._exits.close()
            raise
        self.alerts = [alert for alert, _ in found]
        self._ack_ids = {id(alert): ack_id for alert, ack_id in found}

    def ack(self, alerts: Iterable[Alert]) -> None:
        """Ack these (alerts of ``self.alerts``), now: Pub/Sub has confirmed on return."""
        ids = [self._ack_ids.pop(id(alert)) for alert in alerts if id(alert) in self._ack_ids]
        if ids:
            self._stream.ack(ids)
            self._portal.call(self._stream.flush)

    def later(self, alerts: Iterable[Alert]) -> None:
        """Neither ack these nor return them now: Pub/Sub delivers them again once their
        ack deadline runs out (for work that failed and may succeed later)."""
        ids = [self._ack_ids.pop(id(alert)) for alert in alerts if id(alert) in self._ack_ids]
        if ids:
            self._stream.forget(ids)

    @property
    def unacked(self) -> int:
        return len(self._ack_ids)

    def close(self) -> None:
        """Return what was not acked to the subscription; idempotent."""
        self._ack_ids.clear()
        self._exits.close()

    def __enter__(self) -> HeldAlerts:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
