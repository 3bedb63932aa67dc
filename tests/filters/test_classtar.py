"""The old TOM module's star/galaxy cut: ``--classtar-threshold T --classtar gt|lt``."""

from __future__ import annotations

import copy
import math

import pytest

from pittgoogle_cli import ConfigError
from pittgoogle_cli.filters.classtar import ClasstarCut, classtar_filter
from pittgoogle_cli.filters.where import where_filter

from .conftest import Record, candids, run_filters


def scores(records: list[Record]) -> list[float]:
    return sorted(r["candidate"]["classtar"] for r in records)


def thresholds(records: list[Record]) -> list[float]:
    """The ends, the middle, and one alert's exact score (the cut is strict)."""
    values = scores(records)
    return [0.0, 0.5, values[len(values) // 2], values[0], values[-1], 0.99, 1.0]


@pytest.mark.parametrize("direction", ["gt", "lt"])
def test_the_cut_on_real_alerts(direction: str, ztf_records: list[Record]):
    for threshold in thresholds(ztf_records):
        if direction == "gt":
            expected = [r["candid"] for r in ztf_records if r["candidate"]["classtar"] > threshold]
        else:
            expected = [r["candid"] for r in ztf_records if r["candidate"]["classtar"] < threshold]
        cut = classtar_filter(threshold, direction)  # type: ignore[arg-type]
        assert candids(run_filters(ztf_records, [cut])) == expected, threshold


def test_an_alert_exactly_at_the_threshold_is_kept_by_neither(ztf_records: list[Record]):
    at = ztf_records[0]["candidate"]["classtar"]
    both = [classtar_filter(at, "gt"), classtar_filter(at, "lt")]
    assert all(cut(ztf_records[0]) is None for cut in both)
    split = [candids(run_filters(ztf_records, [cut])) for cut in both]
    assert sorted(split[0] + split[1] + [ztf_records[0]["candid"]]) == sorted(candids(ztf_records))


def test_the_middle_score_splits_these_alerts(ztf_records: list[Record]):
    middle = scores(ztf_records)[len(ztf_records) // 2]
    for direction in ("gt", "lt"):
        kept = run_filters(ztf_records, [classtar_filter(middle, direction)])  # type: ignore[arg-type]
        assert 0 < len(kept) < len(ztf_records)


def test_it_is_the_same_as_where(ztf_records: list[Record]):
    for threshold in thresholds(ztf_records):
        for direction, sign in (("gt", ">"), ("lt", "<")):
            cut = classtar_filter(threshold, direction)  # type: ignore[arg-type]
            where = where_filter(f"candidate.classtar {sign} {threshold!r}")
            assert run_filters(ztf_records, [cut]) == run_filters(ztf_records, [where])


def without_score(record: Record) -> list[Record]:
    """One real alert with its classtar null, missing, NaN, and with no candidate."""
    variants = []
    for change in ("null", "missing", "nan", "no candidate", "candidate null"):
        alert = copy.deepcopy(record)
        if change == "null":
            alert["candidate"]["classtar"] = None
        elif change == "missing":
            del alert["candidate"]["classtar"]
        elif change == "nan":
            alert["candidate"]["classtar"] = math.nan
        elif change == "no candidate":
            del alert["candidate"]
        else:
            alert["candidate"] = None
        variants.append(alert)
    return variants


@pytest.mark.parametrize("direction", ["gt", "lt"])
def test_no_score_is_dropped_not_an_error(direction: str, ztf_records: list[Record]):
    broken = without_score(ztf_records[0])
    cut = classtar_filter(0.5, direction)  # type: ignore[arg-type]
    assert [cut(alert) for alert in broken] == [None] * len(broken)
    assert run_filters([*broken, ztf_records[0]], [cut]) == (
        [ztf_records[0]] if cut(ztf_records[0]) else []
    )


def test_other_surveys_have_no_classtar_and_are_dropped(lsst_records: list[Record]):
    for direction in ("gt", "lt"):
        cut = classtar_filter(0.5, direction)  # type: ignore[arg-type]
        assert run_filters(lsst_records, [cut]) == []


@pytest.mark.parametrize(
    ("threshold", "direction", "message"),
    [
        (-0.1, "gt", "--classtar-threshold: -0.1 is not between 0 and 1"),
        (1.5, "lt", "--classtar-threshold: 1.5 is not between 0 and 1"),
        (math.nan, "gt", "--classtar-threshold: nan is not between 0 and 1"),
        ("0.5", "gt", "--classtar-threshold: '0.5' is not a number"),
        (True, "gt", "--classtar-threshold: True is not a number"),
        (0.5, "ge", "--classtar: 'ge' is neither gt nor lt"),
    ],
)
def test_bad_settings_are_config_errors(threshold: object, direction: str, message: str):
    with pytest.raises(ConfigError) as caught:
        classtar_filter(threshold, direction)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_the_cut_says_what_it_is():
    assert repr(classtar_filter(0.5, "lt")) == "ClasstarCut(threshold=0.5, direction='lt')"
    assert classtar_filter(1, "gt") == ClasstarCut(1, "gt")
