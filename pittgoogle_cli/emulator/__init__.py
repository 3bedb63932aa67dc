"""Google's Pub/Sub emulator on a loopback port, loaded with alert files: for the tests,
``make demo`` and ``make bench``, and for trying a filter on real alerts offline.

    python -m pittgoogle_cli.emulator run --publish tests/data/ztf --repeat 10 -- CMD...

starts the emulator, creates ``projects/ardent-cycling-243415/topics/ztf-loop``, publishes
the files, runs CMD with ``PUBSUB_EMULATOR_HOST`` set, and stops the emulator (its JVM,
not just a wrapper) whatever happens.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx

from pittgoogle_cli.emulator.process import ServiceProcess, free_port, wait_until_ready
from pittgoogle_cli.pubsub.rest import publish_body

__all__ = [
    "EmulatorMissing",
    "LoopPublisher",
    "PubSubEmulator",
    "alert_files",
    "create_subscription",
    "create_topic",
    "free_port",
    "publish",
    "wait_until_ready",
]

# The emulator hangs on a publish request near 16 MB and refuses more than 1,000 messages.
MAX_PUBLISH_BYTES = 6_000_000
MAX_PUBLISH_MESSAGES = 1000


class EmulatorMissing(RuntimeError):
    pass


def emulator_launcher() -> Path:
    """The emulator's own launcher under gcloud's SDK root (it execs java, so its pid is
    the JVM's and killing it frees the port)."""
    roots = [os.environ.get("CLOUDSDK_ROOT_DIR", "")]
    gcloud = shutil.which("gcloud")
    if gcloud:
        roots.append(str(Path(gcloud).resolve().parent.parent))
    roots += ["/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk"]
    for root in filter(None, roots):
        launcher = Path(root) / "platform/pubsub-emulator/bin/cloud-pubsub-emulator"
        if launcher.is_file():
            return launcher
    raise EmulatorMissing(
        "Google's Pub/Sub emulator is not installed "
        "(gcloud components install pubsub-emulator, or apt-get install "
        "google-cloud-cli-pubsub-emulator)"
    )


class PubSubEmulator(ServiceProcess):
    """``with PubSubEmulator() as host:`` gives ``127.0.0.1:PORT``, ready to use."""

    name = "the Pub/Sub emulator"

    def __init__(self, port: int | None = None, heap: str = "512m", log: Path | None = None):
        super().__init__(port, log)
        self._heap = heap

    def command(self) -> list[str]:
        return [str(emulator_launcher()), "--host=127.0.0.1", f"--port={self.port}"]

    def env(self) -> dict[str, str]:
        return {**os.environ, "JAVA_OPTS": f"-Xmx{self._heap}"}

    def ready(self) -> bool:
        return httpx.get(f"http://{self.host}/", timeout=1).text.strip() == "Ok"


def create_topic(host: str, topic: str) -> None:
    reply = httpx.put(f"http://{host}/v1/{topic}", timeout=30)
    if reply.status_code not in (200, 409):
        reply.raise_for_status()


def publish(
    host: str, topic: str, payloads: Iterable[bytes], attributes: dict[str, str] | None = None
) -> list[str]:
    """Publish in requests under ~6 MB; the message ids, in order."""
    ids: list[str] = []
    with httpx.Client(timeout=120) as client:
        for batch in _batches(payloads):
            body = publish_body([(data, attributes or {}) for data in batch])
            reply = client.post(f"http://{host}/v1/{topic}:publish", content=body)
            reply.raise_for_status()
            ids += reply.json()["messageIds"]
    return ids


def _batches(payloads: Iterable[bytes]) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    size = 0
    for data in payloads:
        if batch and (size + len(data) > MAX_PUBLISH_BYTES or len(batch) >= MAX_PUBLISH_MESSAGES):
            yield batch
            batch, size = [], 0
        batch.append(data)
        size += len(data) * 4 // 3 + 64
    if batch:
        yield batch


def create_subscription(host: str, subscription: str, topic: str, ack_deadline: int = 60) -> None:
    body = {"topic": topic, "ackDeadlineSeconds": ack_deadline}
    reply = httpx.put(f"http://{host}/v1/{subscription}", json=body, timeout=30)
    if reply.status_code not in (200, 409):
        reply.raise_for_status()


class LoopPublisher:
    """Publishes the same alerts over and over, like Pitt-Google's ``ztf-loop`` topic."""

    def __init__(self, host: str, topic: str, payloads: list[bytes], rate: float) -> None:
        self._args = (host, topic, payloads, rate)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        host, topic, payloads, rate = self._args
        per_tick = max(1, int(rate / 10))
        index = 0
        while not self._stop.is_set():
            batch = [payloads[(index + i) % len(payloads)] for i in range(per_tick)]
            index += per_tick
            try:
                publish(host, topic, batch)
            except httpx.HTTPError:
                return
            self._stop.wait(per_tick / rate)

    def __enter__(self) -> LoopPublisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def alert_files(path: Path) -> list[Path]:
    """The alert files (``.avro``, ``.json``) in folder ``path``, or ``path`` itself when it
    is one file; ``FileNotFoundError`` saying so when it is neither."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such file or folder", str(path))
    return sorted(p for p in path.iterdir() if p.suffix in (".avro", ".json"))
