"""Alerts as rows of an embedded SQLite database (``--out alerts.sqlite`` or ``.db``).

One table, ``alerts``: the fields most queries start from (one column each) and the whole
alert as JSON text in ``alert``, rendered like the JSON-lines output (so ``--lite``,
``--fields`` and ``--envelope`` shape it). Query it with ``sqlite3`` or
``json_extract(alert, '$.candidate.magpsf')``.

A row is keyed by ``candid`` (``UNIQUE``): a re-delivered alert is ignored, not added.
Alerts without a candid (LVK notices) are keyed by their Pub/Sub ``message_id`` instead,
through a partial unique index; ``candid`` is not the ``PRIMARY KEY`` because it may be
null. 64-bit candids are stored exactly (SQLite integers are 64-bit).

Durability: WAL journal with ``synchronous=FULL``, so each batch is one transaction whose
commit fsyncs the WAL before ``write`` returns. (``NORMAL`` would keep the database
consistent but could lose the last commits on power loss, after they were acked.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from pittgoogle_cli.outputs.base import Render
from pittgoogle_cli.packets import fields
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.render import render_alert

# The flat view's fields (as --lite names them), then the message's, then the alert.
COLUMNS = (
    *(f.name for f in fields.MAIN_FIELDS),
    "survey",
    "schema_version",
    "message_id",
    "publish_time",
    "alert",
)

# objectId has no declared type: ZTF's are text, LSST's integers, each stored as it came.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    objectId,
    candid INTEGER UNIQUE,
    jd REAL,
    ra REAL,
    dec REAL,
    magpsf REAL,
    band TEXT,
    classtar REAL,
    survey TEXT,
    schema_version TEXT,
    message_id TEXT,
    publish_time TEXT,
    alert TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_without_candid
    ON alerts (message_id) WHERE candid IS NULL;
CREATE INDEX IF NOT EXISTS alerts_objectId ON alerts (objectId);
"""

# Built from the constant COLUMNS only; every value is a ? parameter.
_INSERT = (
    f"INSERT OR IGNORE INTO alerts ({', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)


def row(alert: Alert, render: Render = render_alert) -> tuple[Any, ...]:
    """The values of one alert's row, in ``COLUMNS`` order (NaN becomes NULL in SQLite)."""
    record = alert.record
    return (
        *(f.read(record) for f in fields.MAIN_FIELDS),
        alert.schema.survey,
        alert.schema.version,
        alert.message_id or None,
        alert.publish_time or None,
        render(alert).rstrip(b"\n").decode("utf-8"),
    )


def connect(path: Path) -> sqlite3.Connection:
    """Opens (creating if needed) the database; the connection is used by one worker
    thread at a time, hence ``check_same_thread=False``."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


class SqliteSink:
    """Each batch in one committed transaction before ``write`` returns."""

    def __init__(self, path: Path, render: Render = render_alert) -> None:
        self.path = path
        self._render = render
        self._db = connect(path)
        self._lock = anyio.Lock()  # one thread at a time on the connection

    def _insert(self, alerts: Sequence[Alert]) -> None:
        rows = [row(alert, self._render) for alert in alerts]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(_INSERT, rows)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # a failed COMMIT (disk full) leaves it open
                self._db.execute("ROLLBACK")
            raise

    async def write(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            async with self._lock:
                await anyio.to_thread.run_sync(self._insert, alerts)

    async def aclose(self) -> None:
        async with self._lock:
            await anyio.to_thread.run_sync(self._db.close)
