"""The benchmark's side of the replay server: start it as its own process (its CPU is
counted apart from the consumer's), give it subscriptions, read its counts, stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]


class ReplayServer:
    """``with ReplayServer(data) as server:`` ``server.host`` is ``HOST:PORT``."""

    def __init__(
        self, data: Path | None = None, *, log: Path | None = None, hold: float = 5.0
    ) -> None:
        self.data = data or ROOT / "tests/data/ztf"
        self.log, self.hold = log, hold
        self.host = ""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        argv = [sys.executable, "-m", "bench.replay", "--data", str(self.data)]
        argv += ["--hold", str(self.hold)]
        stderr = self.log.open("ab") if self.log else None
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=ROOT
        )
        if stderr is not None:
            stderr.close()
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().split()
        if len(line) != 2 or line[0] != "ready":
            self.stop()
            raise RuntimeError(f"the replay server did not start (see {self.log})")
        self.host = line[1]
        return self.host

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def load(self, subscription: str, alerts: int, ack_deadline: int = 60) -> None:
        """A fresh subscription (full name) holding ``alerts`` messages, none delivered."""
        spec = {"subscription": subscription, "alerts": alerts, "ackDeadlineSeconds": ack_deadline}
        reply = httpx.post(f"http://{self.host}/replay/load", content=orjson.dumps(spec))
        reply.raise_for_status()

    def stats(self, subscription: str) -> dict[str, Any]:
        reply = httpx.get(f"http://{self.host}/replay/stats/{subscription}")
        reply.raise_for_status()
        out: dict[str, Any] = reply.json()
        return out

    def delete(self, subscription: str) -> None:
        httpx.delete(f"http://{self.host}/v1/{subscription}").raise_for_status()
