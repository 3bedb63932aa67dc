"""A local service in a child process, started and stopped for a block: the Pub/Sub
emulator here, bqemulator in the tests. Stopping kills its whole process group, so a
wrapper never leaves the real server (a JVM) holding the port. ``run_command`` runs the
command under test so that a SIGTERM to the runner reaches it too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], within: float
) -> None:
    """Poll ``ready()`` every 0.1 s until it is true; RuntimeError if ``process`` exits
    first or ``within`` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"did not answer within {within} s")


class ServiceProcess:
    """``with Service(...) as host:`` gives ``127.0.0.1:PORT``, ready to use. A subclass
    says how to start it (``command``, ``env``), when it is ready, and what it is called."""

    name = "service"
    failure: type[Exception] = RuntimeError

    def __init__(self, port: int | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, ready_within: float = 60.0) -> str:
        command = self.command()
        log = self._log or Path(os.devnull)
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen(
                command, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            wait_until_ready(self._process, self.ready, ready_within)
        except RuntimeError as exc:
            self.stop()
            raise self.failure(f"{self.name} {exc}") from None
        except BaseException:  # a SIGTERM while it starts: no with-block will stop it
            self.stop()
            raise
        return self.host

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_command(command: list[str], env: Mapping[str, str], grace: float = 30.0) -> int:
    """Run ``command`` to its end; its exit code (128 + N when signal N ended it).

    A SIGTERM to this process is passed on to the command, which gets ``grace`` seconds to
    finish (pgb acks what it wrote) before it is killed, so it never outlives the runner and
    the emulator. Ctrl-C reaches the command from the terminal by itself, and the command
    decides (a Python REPL carries on): here it changes nothing."""
    stopping: list[float] = []
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: object) -> None:
        stopping.append(time.monotonic())
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    # In place before the command starts: a signal as it starts must not kill the runner.
    handlers = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGINT: signal.signal(signal.SIGINT, lambda signum, frame: None),
    }
    try:
        children.append(subprocess.Popen(command, env=dict(env)))
        if stopping:  # a SIGTERM came as it started
            children[0].send_signal(signal.SIGTERM)
        return _wait(children[0], stopping, grace)
    finally:
        for child in children:
            if child.poll() is None:  # an error here: the command goes too
                child.kill()
                child.wait()
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)


def _wait(child: subprocess.Popen[bytes], stopping: list[float], grace: float) -> int:
    while True:
        try:
            code = child.wait(0.2)
            return code if code >= 0 else 128 - code
        except subprocess.TimeoutExpired:
            if stopping and time.monotonic() - stopping[0] > grace:
                child.kill()
