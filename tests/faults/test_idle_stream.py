"""A slow stream, observed through the counting proxy (no faults): an alert published
after a quiet spell is written while pgb goes on running, not held back for a batch to
fill, then acked."""

from __future__ import annotations

import select
import signal
import subprocess
import time
from subprocess import PIPE

import orjson

from ..conftest import Channel, pgb_command, pgb_env
from .proxy import FaultProxy


def readline(pipe: subprocess.Popen[bytes], within: float = 30.0) -> bytes:
    """The next line pgb writes, or b"" if none comes (a guard, not a measurement)."""
    assert pipe.stdout is not None
    ready, _, _ = select.select([pipe.stdout], [], [], within)
    return pipe.stdout.readline() if ready else b""


def test_an_alert_after_a_quiet_spell_is_written_while_pgb_runs(
    channel: Channel, clean_proxy: FaultProxy, ztf_payloads: list[bytes]
):
    argv = pgb_command("pull", channel.subscription_id, "--quiet")
    with subprocess.Popen(argv, env=pgb_env(clean_proxy.host), stdout=PIPE, stderr=PIPE) as pgb:
        try:
            for payload in ztf_payloads[:2]:  # each after a quiet spell of its own
                while clean_proxy.requests["pull"] < 5:  # the first pulls came back empty
                    time.sleep(0.05)
                time.sleep(1.0)
                channel.publish([payload])
                line = readline(pgb)
                assert line, "no line while pgb runs"
                assert pgb.poll() is None
                written = orjson.loads(line)
                assert written["candid"] and written["objectId"]
            # The lines were read: their acks are sent within the second that follows.
            deadline = time.monotonic() + 10
            while len(clean_proxy.acked) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(clean_proxy.acked) == 2
        finally:
            pgb.send_signal(signal.SIGINT)
            _, err = pgb.communicate(timeout=30)
    assert pgb.returncode == 130, err.decode()
    assert channel.drain_ids() == []  # both acked, nothing left over
