"""Who is measured, and the command line of each: pgb and the peers (each a separate
process writing one JSON line per alert to a file). Each stops once it has written and acked
the N alerts published (pgb: ``--max N``, which waits for Pub/Sub to confirm the acks before
it exits), so that none pays for a rule the others do not have: ``--until-empty`` would add
its second of quiet to pgb's time alone. ``--pgb-also ARGS`` adds pgb with more arguments
as a contender of its own, named ``pgb ARGS`` (``pgb --workers=2``), interleaved with the
others."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

PGB = "pgb"
GOOGLE = "google-cloud-pubsub"
AIO = "gcloud-aio-pubsub"
HTTPX = "httpx by hand"
# Google's client speaks gRPC, which the replay server does not: it stays on the emulator.
ON_EMULATOR = (PGB, GOOGLE, AIO)
ON_REPLAY = (PGB, AIO, HTTPX)
_PEER_MODULES = {GOOGLE: "bench.gcp_peer", AIO: "bench.aio_peer", HTTPX: "bench.httpx_peer"}


def lineup(
    table: Sequence[str], pgb_also: Sequence[str] = (), without: Sequence[str] = ()
) -> tuple[str, ...]:
    """A table's contenders: pgb, then pgb with each of ``pgb_also``'s arguments, then
    the peers not named in ``without``."""
    peers = [peer for peer in table[1:] if peer not in without]
    return (PGB, *(f"{PGB} {extra}" for extra in pgb_also), *peers)


def is_pgb(contender: str) -> bool:
    return contender == PGB or contender.startswith(f"{PGB} ")


def _pgb_args(contender: str, pgb_args: Sequence[str]) -> list[str]:
    return [*pgb_args, *shlex.split(contender[len(PGB) :])]


def pgb_command() -> list[str]:
    pgb = Path(sys.executable).parent / "pgb"
    return [str(pgb)] if pgb.exists() else [sys.executable, "-m", "pittgoogle_cli"]


def command(
    contender: str, sub: str, n: int, out: Path, pgb_args: Sequence[str] = ()
) -> tuple[list[str], bool]:
    """The argv, and whether its stdout is the output file (pgb's is; peers write it)."""
    if is_pgb(contender):
        args = _pgb_args(contender, pgb_args)
        return [*pgb_command(), "pull", sub, "--max", str(n), "--quiet", *args], True
    module = _PEER_MODULES[contender]
    return [sys.executable, "-m", module, sub, "--alerts", str(n), "--out", str(out)], False


def describe(contender: str, pgb_args: Sequence[str] = ()) -> str:
    if is_pgb(contender):
        return " ".join(["pgb pull SUB --max N --quiet", *_pgb_args(contender, pgb_args)])
    return f"python -m {_PEER_MODULES[contender]} SUB --alerts N --out FILE"


def interleaved(contenders: Sequence[str], run: int) -> list[str]:
    """Run ``run``'s order: rotated by one each run and reversed every other run, so
    that no contender always follows the same one (or always comes first)."""
    k = run % len(contenders)
    order = [*contenders[k:], *contenders[:k]]
    return order if run % 2 else order[::-1]
