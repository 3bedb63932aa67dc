"""Scale-out: several ``pgb pull --until-empty`` processes started at once on one
subscription share its backlog. Each message is written by exactly one of them (nothing
lost, none twice), each gets a share, and nothing is left on the subscription.

Pub/Sub balances by demand, not round-robin: a pull gets whatever is waiting, up to 100
messages on the emulator, and a process holds up to about ``--concurrency`` + 1 batches at
a time. With the default ``--concurrency 4`` a 300-alert backlog went whole to one
process in all five runs of two (300/0), and to one or two of four (300/0/0/0, 0/300/0/0,
0/0/0/300, 0/200/0/100, 200/0/0/100). With ``--concurrency 1`` and 900 alerts each
process got 100 or more in every run (min 100, also at a load average of 5). The ack
deadline is 60 s and each pgb extends it for what it holds: no message came twice.
"""

from __future__ import annotations

import io
import subprocess
import time
from collections import Counter
from pathlib import Path
from subprocess import DEVNULL, PIPE

import fastavro
import orjson
import pytest

from .conftest import Channel, new_channel, pgb_command, pgb_env

COPIES = 100  # of each shipped ZTF alert: 900 messages


def start_pulls(chan: Channel, outs: list[Path]) -> list[subprocess.Popen[bytes]]:
    args = ("pull", chan.subscription_id, "--until-empty", "--envelope", "--cutouts", "drop")
    args += ("--concurrency", "1", "--quiet", "--no-create")
    env = pgb_env(chan.host)
    return [
        subprocess.Popen(
            pgb_command(*args, "--out", str(out)), env=env, stdout=DEVNULL, stderr=PIPE
        )
        for out in outs
    ]


def wait_all(pulls: list[subprocess.Popen[bytes]], timeout: float) -> list[tuple[int, bytes]]:
    """Each one's exit code and stderr, once all have exited; all killed after ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        errs = [p.communicate(timeout=deadline - time.monotonic())[1] for p in pulls]
        return [(p.returncode, err) for p, err in zip(pulls, errs, strict=True)]
    finally:
        for p in pulls:
            if p.poll() is None:
                p.kill()
            p.communicate()


def candid(payload: bytes) -> int:
    return int(next(fastavro.reader(io.BytesIO(payload)))["candid"])


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_on_one_subscription_share_it_and_write_each_alert_once(
    emulator: str, ztf_payloads: list[bytes], tmp_path: Path, processes: int
):
    chan = new_channel(emulator)  # ack deadline 60 s, extended by each pgb while it holds
    payloads = ztf_payloads * COPIES
    ids = chan.publish(payloads)
    want = {message_id: candid(p) for message_id, p in zip(ids, payloads, strict=True)}
    assert len(want) == len(payloads) == 900  # every message is told apart by its messageId

    outs = [tmp_path / f"pull-{i}.jsonl" for i in range(processes)]
    for code, err in wait_all(start_pulls(chan, outs), timeout=150):
        assert code == 0, err
        assert err == b""  # --quiet

    envelopes = [[orjson.loads(line) for line in out.read_bytes().splitlines()] for out in outs]
    written = Counter(e["messageId"] for share in envelopes for e in share)
    assert [m for m, n in written.items() if n > 1] == []  # no duplicate
    assert set(written) == set(want)  # none lost, none made up
    assert all(e["alert"]["candid"] == want[e["messageId"]] for s in envelopes for e in s)
    assert all(e["alert"]["cutoutScience"] is None for s in envelopes for e in s)
    shares = [len(share) for share in envelopes]
    assert all(shares), f"a process got nothing: {shares}"
    assert chan.drain_ids() == []  # all acked: nothing comes again
