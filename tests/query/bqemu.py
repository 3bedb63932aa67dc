"""bqemulator (a BigQuery REST emulator, DuckDB inside) for the tests, the benchmark and
trying ``pgb query`` offline:

    .venv/bin/python -m tests.query.bqemu -- .venv/bin/pgb query --objectId ZTF17aaarzyp

starts the emulator, loads Pitt-Google's ZTF alerts table (real schema, the sample alerts),
runs the command with ``BIGQUERY_EMULATOR_HOST`` set, and stops the emulator. Without a
command it prints the host and waits for Ctrl-C.

The emulator is heavy and registers a pytest plugin, so it lives in its own virtual
environment, ``.bqvenv`` at the repository root, made on first use. ``bq_launcher.py``
starts it offline (see there).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fastavro
import httpx
import orjson

from pittgoogle_cli.emulator.process import ServiceProcess, free_port, run_command

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".bqvenv"
PYTHON = VENV / "bin" / "python"
LAUNCHER = Path(__file__).with_name("bq_launcher.py")
# numpy is needed but not declared by bqemulator; duckdb 1.4.x crashes it.
REQUIREMENTS = ("bqemulator==1.4.0", "duckdb==2.0.1", "numpy")
STAMP = VENV / f".pgb-{hashlib.sha256(' '.join(REQUIREMENTS).encode()).hexdigest()[:12]}"
SCHEMA_FILE = ROOT / "tests" / "data" / "bigquery" / "bq_ztf_alerts_v4_02_schema.json"
ZTF_DIR = ROOT / "tests" / "data" / "ztf"
ZTF_TABLE = "ardent-cycling-243415.ztf.alerts_v4_02"


class EmulatorUnavailable(RuntimeError):
    pass


def venv_ready() -> bool:
    return STAMP.exists() and PYTHON.exists()


def ensure_venv(timeout: float = 900) -> None:
    """Create ``.bqvenv`` and install the emulator once (the stamp file records it). ``make
    test`` runs the TOM suite beside the main one's workers, and each may come here first:
    the one that installs holds a lock, and the others wait for it rather than clear the
    venv it is installing into (a TOM run once started the emulator from a half-made one)."""
    if venv_ready():
        return
    with open(ROOT / ".bqvenv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not venv_ready():
            _install(timeout)


def _install(timeout: float) -> None:
    print(
        f"bqemulator: first use, installing it into {VENV} (about 2 minutes; "
        f"pip install {' '.join(REQUIREMENTS)})...",
        file=sys.stderr,
        flush=True,
    )
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise EmulatorUnavailable(f"{' '.join(step[:4])}... failed:\n{done.stderr[-2000:]}")
    STAMP.touch()


class BigQueryEmulator(ServiceProcess):
    """``with BigQueryEmulator() as host:`` gives ``127.0.0.1:PORT``, ready for requests."""

    name = "bqemulator"
    failure = EmulatorUnavailable

    def __init__(self, project: str = "pgb-tests", log: Path | None = None) -> None:
        super().__init__(log=log)
        self._project = project

    def start(self, ready_within: float = 60.0) -> str:
        ensure_venv()
        return super().start(ready_within)

    def command(self) -> list[str]:
        command = [str(PYTHON), str(LAUNCHER), "start", "--project", self._project]
        return [*command, "--rest-port", str(self.port), "--grpc-port", str(free_port())]

    def env(self) -> dict[str, str]:
        return {**os.environ, "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}

    def ready(self) -> bool:
        return httpx.get(f"http://{self.host}/readyz", timeout=1).status_code == 200


def _api(host: str) -> str:
    return f"http://{host}/bigquery/v2"


def create_table(host: str, table: str, fields: list[dict[str, Any]]) -> None:
    project, dataset, table_id = table.split(".")
    base = f"{_api(host)}/projects/{project}/datasets"
    reply = httpx.post(
        base, json={"datasetReference": {"projectId": project, "datasetId": dataset}}
    )
    if reply.status_code != 409:  # the dataset may be there already
        reply.raise_for_status()
    httpx.post(
        f"{base}/{dataset}/tables",
        json={
            "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table_id},
            "schema": {"fields": fields},
        },
    ).raise_for_status()


def insert_rows(host: str, table: str, rows: Iterable[dict[str, Any]], batch: int = 500) -> None:
    project, dataset, table_id = table.split(".")
    url = f"{_api(host)}/projects/{project}/datasets/{dataset}/tables/{table_id}/insertAll"
    pending = list(rows)
    for start in range(0, len(pending), batch):
        body = {"rows": [{"json": row} for row in pending[start : start + batch]]}
        reply = httpx.post(
            url,
            content=orjson.dumps(body),
            headers={"content-type": "application/json"},
            timeout=60,
        )
        reply.raise_for_status()
        errors = reply.json().get("insertErrors")
        if errors:
            raise RuntimeError(f"insertAll refused rows: {errors[:3]}")


def read_alerts(folder: Path = ZTF_DIR) -> list[dict[str, Any]]:
    """The sample ZTF alerts, decoded with their own writer schemas."""
    alerts = []
    for path in sorted(folder.glob("*.avro")):
        with path.open("rb") as handle:
            alerts.extend(fastavro.reader(handle))
    return alerts


def table_row(fields: list[dict[str, Any]], record: dict[str, Any]) -> dict[str, Any]:
    """The part of an alert that a table with ``fields`` holds (cutouts are not in it)."""
    row: dict[str, Any] = {}
    for field in fields:
        name = field["name"]
        if name not in record:
            continue
        value = record[name]
        if field["type"] in ("RECORD", "STRUCT") and value is not None:
            if field.get("mode") == "REPEATED":
                value = [table_row(field["fields"], item) for item in value]
            else:
                value = table_row(field["fields"], value)
        row[name] = value
    return row


def load_schema() -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = orjson.loads(SCHEMA_FILE.read_bytes())
    return fields


def load_sample_alerts(host: str, table: str = ZTF_TABLE) -> list[dict[str, Any]]:
    """``table`` with Pitt-Google's schema, holding the sample alerts; returns them."""
    schema = load_schema()
    records = read_alerts()
    create_table(host, table, schema)
    insert_rows(host, table, [table_row(schema, r) for r in records])
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.query.bqemu",
        description="Run COMMAND against a BigQuery emulator holding the sample ZTF alerts.",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    command = parser.parse_args(argv).command
    command = command[1:] if command[:1] == ["--"] else command
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or "pgb-demo"
    # SIGTERM (a timeout, a CI runner) must unwind the with-block, or the emulator lives on.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with BigQueryEmulator(project) as host:
        alerts = load_sample_alerts(host)
        print(f"bqemulator on {host}: {ZTF_TABLE} holds {len(alerts)} alerts", file=sys.stderr)
        env = {**os.environ, "BIGQUERY_EMULATOR_HOST": host, "GOOGLE_CLOUD_PROJECT": project}
        if not command:
            print(f"export BIGQUERY_EMULATOR_HOST={host}; Ctrl-C stops it", file=sys.stderr)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        return run_command(command, env)


if __name__ == "__main__":
    sys.exit(main())
