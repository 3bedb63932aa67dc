"""``make bench``'s paired floors: pgb's CPU per alert over the in-memory floor measured
just before it in the same round, the median of those ratios, and the goal lines it prints;
for ``pgb pull`` on the replay server and for ``pgb decode`` of files."""

from __future__ import annotations

import argparse
from pathlib import Path
from statistics import median
from typing import Any

import pytest

from bench import decode_pair, floor, report
from bench.contenders import AIO, PGB
from bench.harness import RunResult

DATA = Path(__file__).parent / "data" / "ztf"


def _run(contender: str, alerts: int, run: int, cpu_ms: float) -> RunResult:
    result = RunResult(contender, alerts, run)
    result.lines, result.returncode, result.cpu_s = alerts, 0, cpu_ms * alerts / 1000
    return result


def test_each_round_of_pgb_is_set_against_the_floor_of_that_round():
    runs = [
        _run(PGB, 100, 0, 9.0),  # untimed
        _run(PGB, 100, 1, 1.2),
        _run(AIO, 100, 1, 5.0),
        _run(PGB, 100, 2, 1.0),
        _run(PGB, 100, 3, 4.5),
        _run(PGB, 400, 1, 4.0),  # the flat-memory round
    ]
    # Round by round 1.2/0.6, 1.0/1.0, 4.5/1.5: the median ratio is 2.0, where the medians'
    # ratio (1.2 / 1.0) would say the goal was met; round 1 decides, so the gcloud-aio run
    # or the flat-memory round taken for pgb's, or a round paired with the next one's
    # floor, would each give another figure.
    paired = report.paired_floor(runs, 100, [0.6, 1.0, 1.5])
    assert paired["median_ms"] == 1.0
    assert paired["pgb_over_floor"] == pytest.approx(2.0)
    results = {"summary": {"replay": {"floor": paired}}}
    assert "pgb/floor cpu_ms_per_alert, paired by round, <= 1.3: 2.00 (NOT met)" in "\n".join(
        report.goals(results)
    )


def test_without_a_round_of_pgb_the_floor_goal_is_not_measured():
    failed = _run(PGB, 100, 1, 1.0)
    failed.returncode = 1
    paired = report.paired_floor([failed], 100, [1.0])
    assert paired["pgb_over_floor"] is None
    lines = report.goals({"summary": {"replay": {"floor": paired}}})
    assert lines[-1].endswith("pgb/floor cpu_ms_per_alert, paired by round, <= 1.3: not measured")


def test_a_failed_round_of_pgb_or_of_the_floor_is_left_out_of_the_pairs():
    failed = _run(PGB, 100, 2, 0.1)
    failed.error = "timed out"
    runs = [_run(PGB, 100, 1, 1.2), failed, _run(PGB, 100, 3, 9.0)]
    paired = report.paired_floor(runs, 100, [1.0, 1.0, 0.0])  # round 3's floor failed
    assert paired["pgb_over_floor"] == pytest.approx(1.2)
    assert paired["median_ms"] == 1.0


def test_pgb_decode_is_set_against_its_floor_round_by_round(tmp_path: Path):
    """A real round trip at a small size: the floor and `pgb decode` of the same 12 files
    (links to the shipped alerts), each round's pgb over that round's floor."""
    args = argparse.Namespace(alerts=12, runs=2, data=DATA)
    pair = decode_pair.run_all(args)
    assert pair["ok"] and pair["alerts"] == 12
    assert len(pair["pgb_ms"]) == len(pair["floor_ms"]) == 2
    assert all(ms > 0 for ms in pair["pgb_ms"] + pair["floor_ms"])
    ratios = [p / f for p, f in zip(pair["pgb_ms"], pair["floor_ms"], strict=True)]
    assert pair["pgb_over_floor"] == pytest.approx(median(ratios))
    text = report.table(_results({"decode": pair}))
    assert "pgb decode of 12 files" in text
    assert "decode: pgb/floor cpu_ms_per_alert, paired by round, <= 1.15: " in text


def test_the_decode_floor_goes_through_every_record_of_the_files():
    paths = sorted(DATA.glob("*.avro"))
    figures = floor.decode_floor_ms([*paths, *paths])
    assert figures["alerts"] == 2 * len(paths) and figures["cpu_ms_per_alert"] > 0


@pytest.mark.parametrize(
    ("ratio", "verdict"), [(1.1, "1.10 (met)"), (1.27, "1.27 (NOT met)"), (None, "not measured")]
)
def test_the_decode_goal_line(ratio: float | None, verdict: str):
    pair = {"alerts": 10, "pgb_ms": [1.27, 0.0], "floor_ms": [1.0, 1.0], "pgb_over_floor": ratio}
    lines = report.goals({"summary": {"decode": pair}})
    assert lines == [f"  decode: pgb/floor cpu_ms_per_alert, paired by round, <= 1.15: {verdict}"]
    assert "ms/alert: pgb 1.27, failed; floor 1.00, 1.00" in report.table(
        _results({"decode": pair})
    )


def _results(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": {"alerts": 10, "mean_alert_bytes": 75000, "runs": 2},
        "machine": {"load_at_start": [0.0], "load_at_end": [0.0]},
        "summary": summary,
    }
