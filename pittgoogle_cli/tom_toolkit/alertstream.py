"""A live Pitt-Google stream into the TOM (``tom_alertstreams``: ``manage.py readstreams``)::

    INSTALLED_APPS += ["tom_alertstreams"]
    ALERT_STREAMS = [
        {
            "NAME": "pittgoogle_cli.tom_toolkit.alertstream.PittGoogleAlertStream",
            "OPTIONS": {
                "SUBSCRIPTION": "ztf-alerts",       # in PITTGOOGLE["project"], created if missing
                "WHERE": "candidate.magpsf < 19",   # optional, as pgb pull --where
                # "TOPIC_HANDLERS": {"*": "mytom.handlers.my_handler"},  # default: save_alert
            },
        },
    ]

Each alert goes to its handler (by default ``save_alert``: create or update the target,
add its photometry, in one transaction), and is acked only after the handler returned: a
killed ``readstreams`` loses nothing, and what it had not acked comes again, which the
handler stores once (targets by name, photometry by the TOM's uniqueness rule). A handler
that raises leaves its alert unacked; it comes again after the ack deadline. Outages are
ridden out with pgb's backoff; a misconfiguration (no credentials, a bad name) stops the
stream with one log line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import Any, ClassVar

from tom_alertstreams.alertstreams.alertstream import AlertStream
from tom_dataservices.dataservices import QueryServiceError

from pittgoogle_cli._exceptions import AuthError, ConfigError, NotFound, PermissionDenied, PgbError
from pittgoogle_cli.engine.settings import PullSettings
from pittgoogle_cli.engine.sync import HeldAlerts
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.tom_toolkit import store
from pittgoogle_cli.tom_toolkit.dataservices import stream_settings
from pittgoogle_cli.tom_toolkit.targets import SOURCE_NAME, target_rows

logger = logging.getLogger(__name__)

BATCH = 100  # alerts held at a time
WAIT = 5.0  # seconds one batch waits for alerts before the loop goes round
_FATAL = (AuthError, ConfigError, NotFound, PermissionDenied)
_RETRY_AFTER = 30.0  # seconds before pulling again after an error that outlasted the retries


def save_alert(alert: Alert) -> None:
    """The default handler: the alert's object as a target (created or updated), with its
    extras and photometry, in one transaction."""
    for row in target_rows([alert]):
        target, created = store.save_row(row, source=SOURCE_NAME)
        logger.info(
            "%s %s from alert %s", "created" if created else "updated", target, alert.candid
        )


class PittGoogleAlertStream(AlertStream):
    """``listen()`` pulls the subscription forever (or ``MAX_ALERTS``, for a bounded run)."""

    required_keys: ClassVar = ("SUBSCRIPTION",)
    allowed_keys: ClassVar = (
        "SUBSCRIPTION",
        "WHERE",
        "CLASSTAR_THRESHOLD",
        "CLASSTAR_GT_LT",
        "TOPIC_HANDLERS",
        "MAX_ALERTS",
    )
    # A kafka.topic attribute (or "*") -> a handler's dotted path; OPTIONS may replace it.
    topic_handlers: ClassVar = MappingProxyType({"*": f"{__name__}.save_alert"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stopped = threading.Event()
        self.handled = 0

    def stop(self) -> None:
        """Finish the alert in hand, return the rest, and leave ``listen``."""
        self._stopped.set()

    def handler_for(self, alert: Alert) -> Callable[[Alert], object]:
        topic = alert.attributes.get("kafka.topic", "")
        found = self.alert_handler.get(topic) or self.alert_handler.get("*")
        return found or save_alert

    def listen(self) -> None:
        try:
            settings = self._settings()
        except QueryServiceError as exc:
            logger.error("pittgoogle stream not started: %s", exc)
            return
        limit = getattr(self, "max_alerts", None)
        logger.info("listening to %s", settings.subscription)
        while not self._stopped.is_set() and (limit is None or self.handled < limit):
            wanted = BATCH if limit is None else min(BATCH, limit - self.handled)
            try:
                self._one_batch(replace(settings, max_alerts=wanted))
            except _FATAL as exc:
                logger.error("pittgoogle stream %s stopped: %s", settings.subscription, exc)
                return
            except PgbError as exc:
                logger.warning("pittgoogle stream: %s; trying again in %.0f s", exc, _RETRY_AFTER)
                self._stopped.wait(_RETRY_AFTER)

    def _settings(self) -> PullSettings:
        settings = stream_settings(
            {
                "subscription_name": self.subscription,
                "where": getattr(self, "where", None),
                "classtar_threshold": getattr(self, "classtar_threshold", None),
                "classtar_gt_lt": getattr(self, "classtar_gt_lt", None),
                "max_results": BATCH,
                "timeout": WAIT,
            }
        )
        return replace(settings, until_empty=False, give_up_after=3600.0)

    def _one_batch(self, settings: PullSettings) -> None:
        with HeldAlerts(settings) as held:
            for alert in held.alerts:
                if self._stopped.is_set():
                    return  # the rest go back at once
                started = time.monotonic()
                try:
                    self.handler_for(alert)(alert)
                except Exception:
                    logger.exception(
                        "handler failed on alert %s: it comes again later", alert.candid
                    )
                    held.later([alert])  # after its ack deadline: no hot loop on a bad one
                    continue
                held.ack([alert])
                self.handled += 1
                logger.debug("alert %s in %.3f s", alert.candid, time.monotonic() - started)
