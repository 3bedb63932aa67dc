"""A/B runs of ``pgb pull`` against the replay server: user and system time, page faults.

    .venv/bin/python -m bench.ab [--alerts 4000] [--runs 8] NAME:SETTING,... NAME:...

Each variant is a name and its settings: ``TREE=REV`` runs pgb as it was at a git revision
(``bench.cpu``'s trees; ``TREE=.`` is the working tree), ``ARG=--flag=value`` is one more
argument of ``pgb pull`` (repeatable: ``ARG=--concurrency=1``), any other ``KEY=VALUE`` is
set in pgb's environment (``MALLOC_MMAP_THRESHOLD_=524288``). The variants run interleaved, round
after round, each on a fresh subscription of ``--alerts`` alerts, timed by GNU
``/usr/bin/time`` (user and system time, peak RSS, minor page faults). The replay server
spends ~0.04 ms of CPU an alert, so it does not compete with pgb for the cores the way the
emulator does, and system time and faults are steady from run to run where user time is not
(+-20% on this project's VM): read the medians of many rounds.

``--floor`` runs the in-memory floor (``bench.floor``: parse, decode and render the same
number of alerts, nothing else, with the working tree's modules) first in each round, and
adds each variant's CPU over the floor's of the same round, the median of those ratios:
paired, so that a slow spell of the machine weighs on both sides of a ratio rather than on
one figure of it. The variants' order turns from round to round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from . import floor
from .harness import compiled
from .replay import ReplayServer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench" / "ab"
PROJECT = "pgb-replay"
TIME = Path("/usr/bin/time")  # GNU time: %M and %R, which bash's has not


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("--alerts", type=int, default=4000, help="N alerts per run")
    parser.add_argument("--runs", type=int, default=8, help="rounds of every variant")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    parser.add_argument("--floor", action="store_true", help="the floor in every round too")
    parser.add_argument("variants", nargs="+", metavar="NAME:SETTING,...")
    return parser.parse_args(argv)


def variant_env(spec: str) -> tuple[str, dict[str, str]]:
    """``NAME:TREE=REV,ARG=A,KEY=VALUE`` as its name and the environment it adds (its
    arguments for pgb, NUL-separated, under the key ``ARG``)."""
    name, _, settings = spec.partition(":")
    env: dict[str, str] = {}
    for setting in filter(None, settings.split(",")):
        key, sep, value = setting.partition("=")
        if not sep:
            raise SystemExit(f"bench.ab: {setting!r} in {spec!r} is not KEY=VALUE")
        if key == "TREE":
            if value == ".":
                env["PYTHONPATH"] = str(compiled(ROOT))
            else:  # bench.cpu needs the [bench] extra (grpc), which the tests go without
                from .cpu import export_tree

                env["PYTHONPATH"] = str(export_tree(value))
            env["PYTHONSAFEPATH"] = "1"  # else ``-m`` puts the working folder first
        elif key == "ARG":
            env["ARG"] = "\0".join(filter(None, [env.get("ARG", ""), value]))
        else:
            env[key] = value
    return name or spec, env


def run_once(
    host: str, server: ReplayServer, extra: dict[str, str], n: int, tag: str
) -> dict[str, float]:
    sub = f"projects/{PROJECT}/subscriptions/ab-{tag}"
    server.load(sub, n)
    out = OUT / f"ab-{tag}.jsonl"
    if out.exists():  # pgb appends: lines already there would be counted as its own
        raise SystemExit(f"bench.ab: {out} exists already: is another bench.ab running?")
    extra = dict(extra)
    args = list(filter(None, extra.pop("ARG", "").split("\0")))
    env = {
        **os.environ,
        "PUBSUB_EMULATOR_HOST": host,
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "PGB_CONFIG": "/nonexistent/pgb-bench/config.toml",
        "PGB_DEAD_LETTER_DIR": str(OUT / "dead-letter"),
        **extra,
    }
    argv = [str(TIME), "-f", "%U %S %M %R", sys.executable, "-m", "pittgoogle_cli", "pull",
            f"ab-{tag}", "--until-empty", "--quiet", "--out", str(out), *args]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    try:
        with out.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 22), b""))
        seen = server.stats(sub)
    finally:
        out.unlink(missing_ok=True)
        server.delete(sub)
    if done.returncode != 0 or lines != n:
        raise SystemExit(
            f"bench.ab: {tag}: rc={done.returncode}, {lines} lines of {n} in {wall:.1f} s; "
            f"the server saw {seen}\n{done.stderr}"
        )
    user, system, rss_kb, faults = done.stderr.split()[-4:]
    return {
        "user_ms": 1000 * float(user) / n,
        "sys_ms": 1000 * float(system) / n,
        "rss_mb": int(rss_kb) / 1024,
        "faults": int(faults) / n,
        "rate": n / wall,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    variants = dict(variant_env(spec) for spec in args.variants)
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    floors: list[float] = []
    server = ReplayServer(args.data, log=OUT / "replay.log")
    with server as host:
        for run in range(args.runs):
            if args.floor:
                try:
                    floors.append(floor.measure(args.alerts, args.data))
                except RuntimeError as exc:  # one line, as a variant's failed run is
                    raise SystemExit(f"bench.ab: {exc}") from None
                _say(f"{'floor':<12} run {run}: {floors[-1]:.2f} ms/alert")
            names = list(variants)
            for name in names[run % len(names) :] + names[: run % len(names)]:  # rotated
                row = run_once(host, server, variants[name], args.alerts, f"{run}-{name}")
                results[name].append(row)
                _say(f"{name:<12} run {run}: user {row['user_ms']:.2f} sys "
                     f"{row['sys_ms']:.2f} ms/alert, {row['faults']:.0f} faults/alert, "
                     f"RSS {row['rss_mb']:.0f} MB, {row['rate']:.0f}/s")  # fmt: skip
    print("\n".join(table(results, floors)))
    return 0


def _say(text: str) -> None:
    print(f"bench.ab: {text}", file=sys.stderr, flush=True)


def table(results: dict[str, list[dict[str, float]]], floors: list[float]) -> list[str]:
    """A row of medians per variant; with ``floors``, each variant's CPU over the floor of
    the same round (``floor.paired``), and the floor's own row."""
    ratio_head = f" {'x floor':>7}" if floors else ""
    runs = max(map(len, results.values()))
    lines = [f"{'':<12} {'user ms':>8} {'sys ms':>7} {'total':>7} {'faults':>7} {'RSS MB':>7} "
             f"{'alerts/s':>8}{ratio_head}   (medians of {runs}; RSS the largest)"]  # fmt: skip
    for name, rows in results.items():
        totals = [r["user_ms"] + r["sys_ms"] for r in rows]
        ratio = floor.paired(totals, floors) if floors else None
        lines.append(f"{name:<12} {median(r['user_ms'] for r in rows):8.2f} "
                     f"{median(r['sys_ms'] for r in rows):7.2f} {median(totals):7.2f} "
                     f"{median(r['faults'] for r in rows):7.0f} "
                     f"{max(r['rss_mb'] for r in rows):7.0f} "
                     f"{median(r['rate'] for r in rows):8.0f}"
                     + ("" if ratio is None else f" {ratio:7.2f}"))  # fmt: skip
    if floors:
        lines.append(f"{'floor':<12} {'':>8} {'':>7} {median(floors):7.2f}   (its loop only: "
                     "bench.floor, run first in each round)")  # fmt: skip
    return lines


if __name__ == "__main__":
    sys.exit(main())
