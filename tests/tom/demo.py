"""``make demo-tom``: a throwaway TOM on http://127.0.0.1:8000 with Pitt-Google's app, the
Pub/Sub emulator's ztf-loop fed the shipped alerts in a loop and the BigQuery emulator
holding them; prints the login and how to stop it. Everything stops with Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from pittgoogle_cli.emulator import (
    LoopPublisher,
    PubSubEmulator,
    alert_files,
    create_subscription,
    create_topic,
)
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT

from ..query.bqemu import BigQueryEmulator, load_sample_alerts

ROOT = Path(__file__).parents[2]
PROJECT = "pgb-demo"
ADDRESS = os.environ.get("TOM_ADDRESS", "127.0.0.1:8000")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def django(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-m", "django", *args]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = Path(tempfile.mkdtemp(prefix="pgb-demo-tom-"))
    password = secrets.token_urlsafe(12)
    say("starting the Pub/Sub and BigQuery emulators (the first run installs bqemulator)...")
    with PubSubEmulator() as pubsub:
        bigquery = BigQueryEmulator(PROJECT, log=home / "bqemulator.log")
        bq_host = bigquery.start()
        try:
            load_sample_alerts(bq_host)
            topic = f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-loop"
            create_topic(pubsub, topic)
            create_subscription(pubsub, f"projects/{PROJECT}/subscriptions/ztf-loop", topic)
            payloads = [f.read_bytes() for f in alert_files(ROOT / "tests" / "data" / "ztf")]
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.tom.settings",
                "PYTHONPATH": str(ROOT),
                "PYTHONWARNINGS": "ignore",
                "TOM_DB": str(home / "tom.sqlite3"),
                "PUBSUB_EMULATOR_HOST": pubsub,
                "BIGQUERY_EMULATOR_HOST": bq_host,
                "GOOGLE_CLOUD_PROJECT": PROJECT,
                "DJANGO_SUPERUSER_PASSWORD": password,
            }
            say("setting up the TOM's database (about 20 s)...")
            django(env, "migrate", "-v", "0")
            django(env, "createsuperuser", "--noinput", "--username", "astronomer",
                   "--email", "astronomer@example.org")  # fmt: skip
            with LoopPublisher(pubsub, topic, payloads, 1.0):
                say(
                    f"\n  TOM:      http://{ADDRESS}/  (log in as astronomer / {password})\n"
                    f"  stream:   Data Services > Pitt-Google stream, subscription ztf-loop "
                    "(~1 alert/s)\n"
                    "  BigQuery: Data Services > Pitt-Google BigQuery, objectId ZTF17aaarzyp\n"
                    f"  files:    {home}\n"
                    "  stop:     Ctrl-C\n"
                )
                server = subprocess.Popen(
                    [sys.executable, "-m", "django", "runserver", ADDRESS, "--noreload",
                     "--insecure"], env=env,
                )  # fmt: skip
                try:
                    return server.wait()
                except KeyboardInterrupt:
                    server.send_signal(signal.SIGINT)
                    server.wait(10)
                    return 0
        finally:
            bigquery.stop()


if __name__ == "__main__":
    sys.exit(main())
