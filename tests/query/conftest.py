"""Fixtures for ``pgb query``: a real BigQuery REST emulator (one per session) holding
Pitt-Google's ZTF alerts table, with the real schema and rows made from the real alerts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .bqemu import (
    BigQueryEmulator,
    EmulatorUnavailable,
    create_table,
    insert_rows,
    load_sample_alerts,
    load_schema,
    read_alerts,
    table_row,
    venv_ready,
)

PROJECT = "pgb-tests"
ZTF_TABLE = "ardent-cycling-243415.ztf.alerts_v4_02"  # pgb query's default --table
# A bigger copy (the sample alerts many times, each with its own candid) for paging.
PAGING_TABLE = "pgb-tests.paging.alerts"
PAGING_COPIES = 40


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first run installs the emulator (~30 s from pip's cache, longer from PyPI):
    give the tests that may do it more time than the usual 180 s."""
    if venv_ready():
        return
    for item in items:
        if "bq_host" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(900))


@pytest.fixture(scope="session")
def bq_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a running bqemulator. A failure to set it up fails CI."""
    log = tmp_path_factory.mktemp("bqemulator") / "bqemulator.log"
    try:
        emulator = BigQueryEmulator(PROJECT, log=log)
        host = emulator.start()
    except (EmulatorUnavailable, OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the BigQuery emulator: {exc}")
        pytest.skip(f"BigQuery emulator unavailable: {exc}")
    try:
        yield host
    finally:
        emulator.stop()


@dataclass(frozen=True)
class Alerts:
    host: str
    records: list[dict[str, Any]]  # the decoded alerts, as ZTF sent them

    def by_object(self, object_id: str) -> list[dict[str, Any]]:
        return [a for a in self.records if a["objectId"] == object_id]


@pytest.fixture(scope="session")
def ztf_alerts(bq_host: str) -> Alerts:
    """Pitt-Google's alerts table on the emulator, loaded with the sample alerts."""
    return Alerts(bq_host, load_sample_alerts(bq_host, ZTF_TABLE))


@pytest.fixture(scope="session")
def paging_candids(bq_host: str) -> list[int]:
    """A table of PAGING_COPIES copies of each sample alert; returns the candids in it."""
    schema = load_schema()
    rows = []
    for record in read_alerts():
        for copy in range(PAGING_COPIES):
            row = table_row(schema, record)
            row["candid"] = record["candid"] + copy
            rows.append(row)
    create_table(bq_host, PAGING_TABLE, schema)
    insert_rows(bq_host, PAGING_TABLE, rows)
    return [row["candid"] for row in rows]


def pgb_command_env(host: str, **env: str) -> tuple[list[str], dict[str, str]]:
    """``pgb query`` and the environment to run it in against the emulator at ``host``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PGB_", "GOOGLE_"))}
    clean.update(BIGQUERY_EMULATOR_HOST=host, GOOGLE_CLOUD_PROJECT=PROJECT, **env)
    return [sys.executable, "-m", "pittgoogle_cli", "query"], clean


def pgb_query(host: str, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """``pgb query ARGS`` as a user runs it, against the emulator at ``host``."""
    command, environment = pgb_command_env(host, **env)
    return subprocess.run([*command, *args], env=environment, capture_output=True, timeout=120)
