"""Start bqemulator offline: run with the emulator's own venv python.

    .bqvenv/bin/python tests/query/bq_launcher.py start --rest-port P --grpc-port G --project X

bqemulator downloads DuckDB's spatial extension at start-up, which fails without a network
and kills it; pgb's tests use no GEOGRAPHY, so that step is skipped.
"""

import os
import sys

from bqemulator.storage import engine


def _no_spatial(self: object) -> None:
    return None


engine.DuckDBEngine._load_spatial = _no_spatial  # type: ignore[method-assign]

if __name__ == "__main__":
    os.environ.setdefault("BQEMU_ENABLE_FORMAT_EXTENSIONS", "false")
    from bqemulator.cli import main

    sys.exit(main(sys.argv[1:]))
