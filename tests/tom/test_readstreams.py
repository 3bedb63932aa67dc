"""``manage.py readstreams`` as an operator runs it, SIGKILLed mid-stream and restarted:
every alert ends up in the TOM once (target and photometry), none is left unacked."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import fastavro
import pytest

from ..conftest import PROJECT, new_channel

COPIES = 20  # of each shipped alert, each its own object: 180 alerts

pytestmark = pytest.mark.slow


def renamed_copies(payloads: list[bytes]) -> tuple[list[bytes], set[str]]:
    """Each alert COPIES times over, each copy with an objectId of its own."""
    out, names = [], set()
    for payload in payloads:
        reader = fastavro.reader(io.BytesIO(payload))
        schema, record = reader.writer_schema, next(reader)
        for copy in range(COPIES):
            name = f"{record['objectId']}x{copy:02d}"
            buffer = io.BytesIO()
            fastavro.writer(buffer, schema, [{**record, "objectId": name}])
            out.append(buffer.getvalue())
            names.add(name)
    return out, names


def tom_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "django", *args]


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db, timeout=10) as conn:
        targets = conn.execute("SELECT COUNT(*) FROM tom_targets_basetarget").fetchone()[0]
        points = conn.execute(
            "SELECT COUNT(*) FROM tom_dataproducts_photometryreduceddatum"
        ).fetchone()[0]
        dupes = conn.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tom_dataproducts_photometryreduceddatum "
            'GROUP BY target_id, bandpass, timestamp, brightness, "limit" HAVING COUNT(*) > 1)'
        ).fetchone()[0]
    assert dupes == 0
    return targets, points


def test_readstreams_killed_and_restarted_loses_and_duplicates_nothing(
    emulator, ztf_payloads, tmp_path
):
    payloads, names = renamed_copies(ztf_payloads)
    chan = new_channel(emulator, ack_deadline=10)
    db = tmp_path / "tom.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PGB_", "GOOGLE_"))},
        "DJANGO_SETTINGS_MODULE": "tests.tom.settings",
        "PYTHONPATH": str(Path(__file__).parents[2]),
        "TOM_DB": str(db),
        "TOM_STREAM_SUBSCRIPTION": chan.subscription_id,
        "PUBSUB_EMULATOR_HOST": emulator,
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "PYTHONWARNINGS": "ignore",
    }
    subprocess.run(tom_command("migrate", "-v", "0"), env=env, check=True, timeout=300)
    chan.publish(payloads)

    started = time.monotonic()
    first = subprocess.Popen(tom_command("readstreams"), env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while counts(db)[0] < len(names) // 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stored_at_kill = counts(db)[0]
    assert 0 < stored_at_kill < len(names)
    killed_after = time.monotonic() - started

    restarted = time.monotonic()
    second = subprocess.Popen(tom_command("readstreams"), env=env, stderr=subprocess.DEVNULL)
    try:
        # Complete, and past the deadline of what the first left leased but unacked.
        complete_after = None
        while (complete_after is None or time.monotonic() - restarted < 15) and (
            time.monotonic() < deadline + 120
        ):
            if complete_after is None and counts(db)[0] >= len(names):
                complete_after = time.monotonic() - restarted
            time.sleep(0.1)
        time.sleep(2)
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(10)
    targets, _ = counts(db)
    assert targets == len(names)  # nothing lost
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT name FROM tom_targets_basetarget")}
    assert stored == names
    assert chan.drain_ids() == []  # nothing left unacked
    assert complete_after is not None
    print(
        f"readstreams: killed at {stored_at_kill}/{len(names)} after {killed_after:.1f} s "
        f"(Django's start included); the restart stored the other "
        f"{len(names) - stored_at_kill} in {complete_after:.1f} s "
        f"({(len(names) - stored_at_kill) / complete_after:.0f} alerts/s with its start)"
    )
