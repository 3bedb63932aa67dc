"""Medians, ratios and the table printed on stdout."""

from __future__ import annotations

from statistics import median
from typing import Any

from .harness import RunResult

PGB, PEER = "pgb", "google-cloud-pubsub"


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
        "emulator_cpu_ms_per_alert": med([1000 * r.emulator_cpu_s / r.alerts for r in ok]),
        "load_1m": med([r.load_1m for r in ok]),
    }


def summarise(runs: list[RunResult], n: int, factor: int) -> dict[str, Any]:
    timed = {
        c: [r for r in runs if r.contender == c and r.run > 0 and r.alerts == n]
        for c in (PGB, PEER)
    }
    out: dict[str, Any] = {c: _stats(rs) for c, rs in timed.items()}
    pgb, peer = out[PGB], out[PEER]
    if pgb.get("ok") and peer.get("ok"):
        out["ratio_pgb_over_peer"] = {
            key: pgb[key] / peer[key]
            for key in (
                "alerts_per_s",
                "alerts_per_s_to_last_line",
                "peak_rss_mb",
                "cpu_ms_per_alert",
                "emulator_cpu_ms_per_alert",
            )
            if peer[key]
        }
    flat: dict[str, Any] = {}
    for c in (PGB, PEER) if factor > 1 else ():
        big = [r for r in runs if r.contender == c and r.alerts == n * factor and r.ok]
        if big and out[c].get("ok"):
            flat[c] = {
                "alerts": [n, n * factor],
                "peak_rss_mb": [out[c]["peak_rss_mb"], big[0].peak_rss_mb],
                "growth": big[0].peak_rss_mb / out[c]["peak_rss_mb"],
                "alerts_per_s": [out[c]["alerts_per_s"], big[0].rate],
            }
    out["flat_memory"] = flat
    return out


def _row(cells: list[str], widths: list[int]) -> str:
    pairs = enumerate(zip(cells, widths, strict=True))
    return "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in pairs)


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    return "\n".join(lines + [_row(r, widths) for r in rows])


def table(results: dict[str, Any]) -> str:
    summary, config = results["summary"], results["config"]
    n = config["alerts"]
    parts = [
        f"pgb pull --until-empty vs google-cloud-pubsub streaming pull, {n} ZTF alerts per run "
        f"(~{config['mean_alert_bytes'] / 1024:.0f} KiB each), median of {config['runs']} "
        f"interleaved runs, emulator -Xmx{config['heap']}, "
        f"load {results['machine']['load_at_start'][0]:.2f} -> "
        f"{results['machine']['load_at_end'][0]:.2f}",
        "",
    ]
    keys = [
        ("alerts/s (wall)", "alerts_per_s", "{:.0f}"),
        ("alerts/s (to last line)", "alerts_per_s_to_last_line", "{:.0f}"),
        ("wall s", "wall_s", "{:.2f}"),
        ("first line s", "first_line_s", "{:.2f}"),
        ("last line s", "last_line_s", "{:.2f}"),
        ("exit after last line s", "exit_after_last_line_s", "{:.2f}"),
        ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
        ("consumer CPU ms/alert", "cpu_ms_per_alert", "{:.2f}"),
        ("emulator CPU ms/alert", "emulator_cpu_ms_per_alert", "{:.2f}"),
        ("load (1 min)", "load_1m", "{:.2f}"),
    ]
    ratios = summary.get("ratio_pgb_over_peer", {})
    rows = []
    for label, key, fmt in keys:
        cells = [label]
        for c in (PGB, PEER):
            value = summary[c].get(key)
            cells.append(fmt.format(value) if value is not None else "failed")
        cells.append(f"{ratios[key]:.2f}" if key in ratios else "")
        rows.append(cells)
    parts.append(_grid(["", PGB, PEER, "pgb/peer"], rows))
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
    if "micro" in results:
        parts += ["", "microbenchmarks, in-process, best of 5 (us):"]
        rows = [
            [
                m["step"],
                f"{m['pgb_us']:.0f}",
                f"{m['peer_us']:.0f}",
                f"{m['ratio_pgb_over_peer']:.2f}",
            ]
            for m in results["micro"]["rows"]
        ]
        parts.append(_grid(["", "pgb", "stdlib peer", "pgb/peer"], rows))
    if "emulator" in results:
        e = results["emulator"]
        parts += [
            "",
            f"emulator at the end: RSS {e['rss_mb']:.0f} MB, peak {e['peak_rss_mb']:.0f} MB",
        ]
    return "\n".join(parts)
