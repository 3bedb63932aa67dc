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
        _run(PGB, 100, 1, 1.0),
        _run(AIO, 100, 1, 5.0),
        _run(PGB, 100, 2, 1.2),
        _run(PGB, 100, 3, 3.0),
        _run(PGB, 400, 1, 4.0),  # the flat-memory round
    ]
    # Round by round 1.0/1.0, 1.2/0.6, 3.0/1.5: the median ratio is 2.0, where the medians'
    # ratio (1.2 / 1.0) would say the goal was met.
    paired = report.paired_floor(runs, 100, [1.0, 0.6, 1.5])
    assert paired["median_ms"] == 1.0
    assert paired["pgb_over_floor"] == pytest.approx(2.0)
    results = {"summary": {"replay": {"floor": paired}}}
    assert "pgb/floor cpu_ms_per_alert, paired by round, <= 1.3: 2.00 (NOT met)" in "\n".join(
        report.goals(results)
    )


def test_a_failed_round_of_pgb_is_left_out_of_the_pairs():
    failed = _run(PGB, 100, 2, 0.1)
    failed.error = "timed out"
    runs = [_run(PGB, 100, 1, 1.2), failed]
    assert report.paired_floor(runs, 100, [1.0, 1.0])["pgb_over_floor"] == pytest.approx(1.2)
