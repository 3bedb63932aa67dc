"""Shared fixtures: Google's real Pub/Sub emulator (one per session), the real ZTF alerts,
and a way to run the ``pgb`` command as a user would."""

from __future__ import annotations

import importlib.util
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from pittgoogle_cli.emulator import (
    EmulatorMissing,
    PubSubEmulator,
    alert_files,
    create_subscription,
    create_topic,
    publish,
)

DATA = Path(__file__).parent / "data"
ZTF_FILES = alert_files(DATA / "ztf")
PROJECT = "pgb-tests"
_names = itertools.count()

# The TOM's tests run in the TOM's own venv (`make test` runs them there, with Django set
# up); the main venv has no Django, so they are not collected in it.
collect_ignore = [] if importlib.util.find_spec("django") else ["tom"]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a running Pub/Sub emulator. Missing in CI is a failure."""
    log = tmp_path_factory.mktemp("emulator") / "pubsub-emulator.log"
    try:
        # The emulator's REST publishing leaks netty direct buffers, capped at its heap's
        # size: 512 MB of them ran out three quarters through the suite.
        with PubSubEmulator(heap="4g", log=log) as host:
            yield host
    except EmulatorMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the Pub/Sub emulator: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def ztf_payloads() -> list[bytes]:
    return [p.read_bytes() for p in ZTF_FILES]


@dataclass
class Channel:
    """A fresh topic in Pitt-Google's project and a subscription on it in ours."""

    host: str
    topic: str  # full name
    subscription_id: str

    @property
    def subscription(self) -> str:
        return f"projects/{PROJECT}/subscriptions/{self.subscription_id}"

    def publish(self, payloads: list[bytes], attributes: dict[str, str] | None = None) -> list[str]:
        return publish(self.host, self.topic, payloads, attributes)

    def pull_raw(self, max_messages: int = 100) -> list[dict[str, object]]:
        reply = httpx.post(
            f"http://{self.host}/v1/{self.subscription}:pull",
            json={"maxMessages": max_messages, "returnImmediately": True},
            timeout=30,
        )
        reply.raise_for_status()
        messages: list[dict[str, object]] = reply.json().get("receivedMessages", [])
        return messages

    def drain_ids(self) -> list[str]:
        """Pull and ack everything left, returning the message ids (to check redelivery)."""
        ids: list[str] = []
        while batch := self.pull_raw():
            ids += [m["message"]["messageId"] for m in batch]  # type: ignore[index]
            httpx.post(
                f"http://{self.host}/v1/{self.subscription}:acknowledge",
                json={"ackIds": [m["ackId"] for m in batch]},
                timeout=30,
            ).raise_for_status()
        return ids


def new_channel(emulator: str, ack_deadline: int = 60, subscribe: bool = True) -> Channel:
    n = next(_names)
    topic = f"projects/ardent-cycling-243415/topics/test-topic-{n}"
    create_topic(emulator, topic)
    chan = Channel(emulator, topic, f"test-sub-{n}")
    if subscribe:
        create_subscription(emulator, chan.subscription, topic, ack_deadline)
    return chan


@pytest.fixture
def channel(emulator: str) -> Channel:
    return new_channel(emulator)


def pgb_env(emulator: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGB_", "GOOGLE_"))}
    # A config.toml of the developer's never reaches a test; a test names its own.
    env["PGB_CONFIG"] = "/nonexistent/pgb-tests/config.toml"
    env.update({"PUBSUB_EMULATOR_HOST": emulator, "GOOGLE_CLOUD_PROJECT": PROJECT, **extra})
    return env


def pgb_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pittgoogle_cli", *args]


def run_pgb(
    emulator: str, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        pgb_command(*args), env=pgb_env(emulator, **env), capture_output=True, timeout=timeout
    )
