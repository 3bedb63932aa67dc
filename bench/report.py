"""Medians, ratios and the tables printed on stdout: one for the emulator, one for the
replay server; in each, pgb against every peer."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any

from .contenders import AIO, GOOGLE, PGB, is_pgb
from .floor import paired
from .harness import RunResult

_RATIO_KEYS = (
    "alerts_per_s",
    "alerts_per_s_to_last_line",
    "first_line_s",
    "peak_rss_mb",
    "cpu_ms_per_alert",
    "emulator_cpu_ms_per_alert",
)
# (table, peer, key, the goal for pgb/peer, whether pgb/peer must be at least it)
GOALS = (
    ("emulator", GOOGLE, "alerts_per_s", 1.2, True),
    ("emulator", GOOGLE, "cpu_ms_per_alert", 0.5, False),
    ("emulator", GOOGLE, "first_line_s", 1.0, False),
    ("replay", AIO, "alerts_per_s", 1.5, True),
)
FLOOR_GOAL = 1.3  # pgb's CPU per alert over the in-memory floor's (bench.floor)
DECODE_GOAL = 1.15  # pgb decode's over its floor's (bench.decode_pair)


def _stats(runs: list[RunResult]) -> dict[str, Any]:
    ok = [r for r in runs if r.ok]
    if not ok:
        return {"runs": len(runs), "ok": 0}

    def med(values: list[float]) -> float:
        return float(median(values))

    return {
        "runs": len(runs),
        "ok": len(ok),
        "alerts": ok[0].alerts,
        "alerts_per_s": med([r.rate for r in ok]),
        "alerts_per_s_to_last_line": med([r.rate_to_last_line for r in ok]),
        "wall_s": med([r.wall_s for r in ok]),
        "first_line_s": med([r.first_line_s or 0.0 for r in ok]),
        "last_line_s": med([r.last_line_s or 0.0 for r in ok]),
        "exit_after_last_line_s": med([r.wall_s - (r.last_line_s or 0.0) for r in ok]),
        "peak_rss_mb": med([r.peak_rss_mb for r in ok]),
        "cpu_ms_per_alert": med([1000 * r.cpu_s / r.alerts for r in ok]),
        "root_cpu_ms_per_alert": med([1000 * r.root_cpu_s / r.alerts for r in ok]),
        "wait4_cpu_ms_per_alert": med([1000 * r.wait4_cpu_s / r.alerts for r in ok]),
        "largest_rss_mb": med([r.largest_rss_mb for r in ok]),
        "tree_pss_mb": med([r.tree_pss_mb for r in ok]),
        "processes": max(r.processes for r in ok),
        "emulator_cpu_ms_per_alert": med([1000 * r.emulator_cpu_s / r.alerts for r in ok]),
        "redelivered": max(r.server.get("redelivered", 0) for r in ok),
        "load_1m": med([r.load_1m for r in ok]),
        "others_cores": med([r.others_cores for r in ok]),
    }


def summarise(
    runs: list[RunResult],
    n: int,
    factor: int,
    contenders: Sequence[str],
    floors: list[float] | None = None,
) -> dict[str, Any]:
    """Per contender the medians of its timed runs of ``n`` alerts; ``ratio_pgb_over``
    each peer; ``flat_memory``: peak RSS at ``n`` and at ``n * factor`` alerts; with
    ``floors`` (one per timed round), ``floor``: ``paired_floor``."""
    timed = {
        c: [r for r in runs if r.contender == c and r.run > 0 and r.alerts == n] for c in contenders
    }
    out: dict[str, Any] = {"contenders": list(contenders)}
    out |= {c: _stats(rs) for c, rs in timed.items()}
    pgb = out[PGB]
    out["ratio_pgb_over"] = {
        peer: {k: pgb[k] / out[peer][k] for k in _RATIO_KEYS if out[peer][k]}
        for peer in contenders[1:]
        if pgb.get("ok") and out[peer].get("ok")
    }
    out["ratio_over_pgb"] = {  # each pgb variant (--pgb-also) over plain pgb
        variant: {k: out[variant][k] / pgb[k] for k in _RATIO_KEYS if pgb[k]}
        for variant in contenders[1:]
        if is_pgb(variant) and pgb.get("ok") and out[variant].get("ok")
    }
    flat: dict[str, Any] = {}
    for c in contenders if factor > 1 else ():
        big = [r for r in runs if r.contender == c and r.alerts == n * factor and r.ok]
        if big and out[c].get("ok"):
            flat[c] = {
                "alerts": [n, n * factor],
                "peak_rss_mb": [out[c]["peak_rss_mb"], big[0].peak_rss_mb],
                "growth": big[0].peak_rss_mb / out[c]["peak_rss_mb"],
                "alerts_per_s": [out[c]["alerts_per_s"], big[0].rate],
            }
    out["flat_memory"] = flat
    if floors is not None:
        out["floor"] = paired_floor(runs, n, floors)
    return out


def paired_floor(runs: list[RunResult], n: int, floors: list[float]) -> dict[str, Any]:
    """pgb's CPU per alert in each timed round of ``n`` alerts over the in-memory floor's
    measured just before it (``floors[r - 1]`` for round r), the median of those ratios."""
    pgb = {
        r.run: 1000 * r.cpu_s / r.alerts
        for r in runs
        if r.contender == PGB and r.ok and r.run > 0 and r.alerts == n
    }
    rounds = [run for run in range(1, len(floors) + 1) if run in pgb]
    measured = [ms for ms in floors if ms > 0]
    return {
        "rounds_ms": floors,
        "median_ms": float(median(measured)) if measured else None,
        "pgb_over_floor": paired([pgb[run] for run in rounds], [floors[run - 1] for run in rounds]),
    }


def _row(cells: list[str], widths: list[int]) -> str:
    pairs = enumerate(zip(cells, widths, strict=True))
    return "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in pairs)


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    return "\n".join(lines + [_row(r, widths) for r in rows])


def _keys(server: str) -> list[tuple[str, str, str]]:
    return [
        ("alerts/s (wall)", "alerts_per_s", "{:.0f}"),
        ("alerts/s (to last line)", "alerts_per_s_to_last_line", "{:.0f}"),
        ("wall s", "wall_s", "{:.2f}"),
        ("first line s", "first_line_s", "{:.2f}"),
        ("last line s", "last_line_s", "{:.2f}"),
        ("exit after last line s", "exit_after_last_line_s", "{:.2f}"),
        ("peak RSS MB (all processes)", "peak_rss_mb", "{:.0f}"),
        ("  largest process MB", "largest_rss_mb", "{:.0f}"),
        ("  all processes, PSS MB", "tree_pss_mb", "{:.0f}"),
        ("processes", "processes", "{:.0f}"),
        ("consumer CPU ms/alert (all)", "cpu_ms_per_alert", "{:.2f}"),
        ("  its first process's", "root_cpu_ms_per_alert", "{:.2f}"),
        (f"{server} CPU ms/alert", "emulator_cpu_ms_per_alert", "{:.2f}"),
        ("redelivered (max)", "redelivered", "{:.0f}"),
        ("load (1 min)", "load_1m", "{:.2f}"),
        ("others' CPU, cores busy", "others_cores", "{:.2f}"),
    ]


def contest(summary: dict[str, Any], server: str) -> str:
    """One table: a column per contender, then pgb/peer for each peer."""
    who: list[str] = summary["contenders"]
    peers = [c for c in who[1:] if not is_pgb(c)]
    ratios = summary.get("ratio_pgb_over", {})
    rows = []
    for label, key, fmt in _keys(server):
        if key == "redelivered" and server == "emulator":
            continue  # the emulator does not count them
        cells = [label]
        for c in who:
            value = summary[c].get(key)
            cells.append(fmt.format(value) if value is not None else "failed")
        for peer in peers:
            ratio = ratios.get(peer, {}).get(key)
            cells.append(f"{ratio:.2f}" if ratio is not None else "")
        rows.append(cells)
    parts = [_grid(["", *who, *(f"pgb/{p}" for p in peers)], rows)]
    flat = summary.get("flat_memory", {})
    if flat:
        parts += ["", "flat memory: peak RSS MB with N and with more alerts"]
        rows = [
            [
                c,
                f"{f['alerts'][0]} -> {f['alerts'][1]}",
                f"{f['peak_rss_mb'][0]:.0f} -> {f['peak_rss_mb'][1]:.0f}",
                f"x{f['growth']:.2f}",
                f"{f['alerts_per_s'][0]:.0f} -> {f['alerts_per_s'][1]:.0f}",
            ]
            for c, f in flat.items()
        ]
        parts.append(_grid(["", "alerts", "peak RSS MB", "growth", "alerts/s"], rows))
    pair = summary.get("floor", {})
    if pair.get("pgb_over_floor") is not None:
        parts += [
            "",
            f"in-memory floor (bench.floor: one pass over {summary[PGB]['alerts']} alerts, "
            f"parse + decode + render, just before pgb in each round): {pair['median_ms']:.2f} "
            f"ms/alert; pgb's CPU over it, round by round: {pair['pgb_over_floor']:.2f} (median)",
        ]
    return "\n".join(parts)


def goals(results: dict[str, Any]) -> list[str]:
    lines = []
    for table_name, peer, key, goal, at_least in GOALS:
        summary = results.get("summary", {}).get(table_name)
        if summary is None:
            continue
        ratio = summary.get("ratio_pgb_over", {}).get(peer, {}).get(key)
        sign = ">=" if at_least else "<="
        if ratio is None:
            verdict = "not measured"
        else:
            met = ratio >= goal if at_least else ratio <= goal
            verdict = f"{ratio:.2f} ({'met' if met else 'NOT met'})"
        lines.append(f"  {table_name}: pgb/{peer} {key} {sign} {goal}: {verdict}")
    summary = results.get("summary", {})
    for table_name, pair, goal in (("replay", summary.get("replay", {}).get("floor"), FLOOR_GOAL),
                                   ("decode", summary.get("decode"), DECODE_GOAL)):  # fmt: skip
        if pair is not None:
            ratio = pair.get("pgb_over_floor")
            verdict = "not measured" if ratio is None else (
                f"{ratio:.2f} ({'met' if ratio <= goal else 'NOT met'})")  # fmt: skip
            lines.append(f"  {table_name}: pgb/floor cpu_ms_per_alert, paired by round, "
                         f"<= {goal}: {verdict}")  # fmt: skip
    for table_name, summary in results.get("summary", {}).items():
        for variant, ratios in summary.get("ratio_over_pgb", {}).items():
            if "alerts_per_s" in ratios:  # e.g. --workers 2 must beat 1 on the replay server
                lines.append(
                    f"  {table_name}: {variant}/pgb alerts_per_s: {ratios['alerts_per_s']:.2f}"
                )
    return lines


def _micro(results: dict[str, Any]) -> list[str]:
    rows = [
        [
            m["step"],
            f"{m['pgb_us']:.0f}",
            f"{m['peer_us']:.0f}",
            f"{m['ratio_pgb_over_peer']:.2f}",
        ]
        for m in results["micro"]["rows"]
    ]
    return ["", "microbenchmarks, in-process, best of 5 (us):", _grid(_MICRO_HEAD, rows)]


_MICRO_HEAD = ["", "pgb", "stdlib peer", "pgb/peer"]


def _decode_line(pair: dict[str, Any]) -> str:
    def ms(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" if v > 0 else "failed" for v in values)

    ratio = pair.get("pgb_over_floor")
    return (
        f"pgb decode of {pair['alerts']} files (tree CPU, start-up included) against its floor "
        f"(bench.floor --files: the same files in memory, decoded and rendered, just before pgb "
        f"in each round), ms/alert: pgb {ms(pair['pgb_ms'])}; floor {ms(pair['floor_ms'])}; "
        f"round by round: {'not measured' if ratio is None else f'{ratio:.2f}'} (median)"
    )


def table(results: dict[str, Any]) -> str:
    config, machine = results["config"], results["machine"]
    n = config["alerts"]
    parts = [
        f"{n} ZTF alerts per run (~{config['mean_alert_bytes'] / 1024:.0f} KiB each), "
        f"median of {config['runs']} interleaved runs, load "
        f"{machine['load_at_start'][0]:.2f} -> {machine['load_at_end'][0]:.2f}",
    ]
    summary = results["summary"]
    if "emulator" in summary:
        parts += [
            "",
            f"on Google's Pub/Sub emulator (-Xmx{config['heap']}; Google's client over gRPC, "
            "pgb and gcloud-aio-pubsub over REST):",
            contest(summary["emulator"], "emulator"),
        ]
    if "replay" in summary:
        parts += [
            "",
            "on the replay server (REST peers; bench/replay, its own process):",
            contest(summary["replay"], "server"),
        ]
    if "decode" in summary:
        parts += ["", _decode_line(summary["decode"])]
    if "micro" in results:
        parts += _micro(results)
    if "emulator" in results:
        e = results["emulator"]
        parts += [
            "",
            f"emulator at the end: RSS {e['rss_mb']:.0f} MB, peak {e['peak_rss_mb']:.0f} MB",
        ]
    if "replay_server" in results:
        r = results["replay_server"]
        parts.append(
            f"replay server at the end: {r['cpu_s']:.1f} s CPU in all, RSS {r['rss_mb']:.0f} MB, "
            f"peak {r['peak_rss_mb']:.0f} MB"
        )
    if lines := goals(results):
        parts += ["", "goals (pgb over each peer and over the floor, medians of this run):", *lines]
    return "\n".join(parts)
