"""``pgb query`` on a 100,000-row result from the BigQuery emulator: time to first row
and rows per second, measured as a user sees them (the command's stdout, in a pipe).

    .venv/bin/python -m bench.query_bench [--rows 100000] [--runs 3] [--page-size N]

Uses ``BIGQUERY_EMULATOR_HOST`` when set, else starts bqemulator (``tests/query/bqemu.py``,
installing its venv on first use). The rows have the shape of the light default columns
(objectId, candid above 2**53, jd, ra, dec, magpsf, band, classtar), generated in SQL.
Times count from the process start, so they include Python's start-up, the dry run and
the query itself; on the emulator the server's JSON is most of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.query.bqemu import BigQueryEmulator  # noqa: E402

SQL = """
SELECT CONCAT('ZTF', LPAD(CAST(n AS STRING), 9, '0')) AS objectId,
       2400000000000000000 + n AS candid,
       2460000.5 + n / 100000 AS jd,
       MOD(n, 360) + 0.25 AS ra,
       MOD(n, 180) - 90.5 AS dec,
       15 + MOD(n, 700) / 100 AS magpsf,
       CASE MOD(n, 3) WHEN 0 THEN 'g' WHEN 1 THEN 'r' ELSE 'i' END AS band,
       MOD(n, 1000) / 1000 AS classtar
FROM UNNEST(GENERATE_ARRAY(1, @rows)) AS n
ORDER BY n
"""


def command(rows: int, page_size: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "pittgoogle_cli", "query", "-q", "--sql", " ".join(SQL.split())]
    cmd += ["--param", f"rows:INT64:{rows}"]
    if page_size:
        cmd += ["--page-size", str(page_size)]
    return cmd


def one_run(host: str, rows: int, page_size: int | None) -> tuple[float, float, int]:
    """(seconds to the first row, seconds to the last, rows) for one ``pgb query``."""
    env = {**os.environ, "BIGQUERY_EMULATOR_HOST": host, "GOOGLE_CLOUD_PROJECT": "pgb-bench"}
    started = time.perf_counter()
    process = subprocess.Popen(command(rows, page_size), env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    first = process.stdout.readline()
    first_at = time.perf_counter() - started
    count = 1 if first else 0
    last = first
    for line in process.stdout:
        count += 1
        last = line
    total = time.perf_counter() - started
    if process.wait() != 0:
        raise SystemExit(f"pgb query failed with exit code {process.returncode}")
    assert orjson.loads(last)["candid"] == 2400000000000000000 + rows  # whole and exact
    return first_at, total, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=None)
    args = parser.parse_args()
    host = os.environ.get("BIGQUERY_EMULATOR_HOST")
    emulator = None if host else BigQueryEmulator("pgb-bench")
    if emulator is not None:
        host = emulator.start()
    assert host is not None
    try:
        one_run(host, 1000, args.page_size)  # warm-up: imports, DuckDB's first query
        results = [one_run(host, args.rows, args.page_size) for _ in range(args.runs)]
    finally:
        if emulator is not None:
            emulator.stop()
    print("command:", " ".join(repr(c) if " " in c else c for c in command(args.rows, None)))
    for first, total, count in results:
        print(
            f"first row {first:.3f} s, {count:,} rows in {total:.2f} s: {count / total:,.0f} rows/s"
        )
    firsts = statistics.median(r[0] for r in results)
    rates = statistics.median(r[2] / r[1] for r in results)
    print(f"median: first row {firsts:.3f} s, {rates:,.0f} rows/s")


if __name__ == "__main__":
    main()
