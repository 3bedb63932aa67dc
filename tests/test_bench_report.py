"""``make bench``'s paired floor: pgb's CPU per alert over the in-memory floor measured at
the start of the same round, the median of those ratios, and the goal line it prints."""

from __future__ import annotations

import pytest

from bench import report
from bench.contenders import AIO, PGB
from bench.harness import RunResult


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
