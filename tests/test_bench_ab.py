"""``python -m bench.ab`` drains the replay server with each variant and prints one row of
medians per variant, the settings of each reaching pgb (here: a tree, and glibc's mmap
threshold, which moves the page faults)."""

from __future__ import annotations

import pytest

from bench import ab, floor
from bench.harness import load_alerts
from pittgoogle_cli.pubsub.rest import parse_pull


def test_each_variant_is_a_row_of_its_own_figures(capsys: pytest.CaptureFixture[str]):
    mapped = "mapped:TREE=.,MALLOC_MMAP_THRESHOLD_=65536,MALLOC_TRIM_THRESHOLD_=131072"
    assert not ab.main(["--alerts", "300", "--runs", "1", "kept:TREE=.", mapped])
    rows = {
        line.split()[0]: [float(x) for x in line.split()[1:]]
        for line in capsys.readouterr().out.splitlines()[1:]
    }
    assert set(rows) == {"kept", "mapped"}
    for user, system, total, faults, rss, rate in rows.values():
        assert user > 0 and system >= 0 and total == pytest.approx(user + system, abs=0.02)
        assert faults > 0 and 30 < rss < 500 and rate > 0
    # Every 64 KiB read of a reply its own mapping: many more faults than pgb's settings.
    assert rows["mapped"][3] > 1.5 * rows["kept"][3]


def test_a_setting_that_is_not_key_value_is_refused():
    with pytest.raises(SystemExit, match="is not KEY=VALUE"):
        ab.variant_env("odd:TREE")


def test_with_the_floor_each_variant_is_also_its_cpu_over_the_floor_of_its_round(
    capsys: pytest.CaptureFixture[str],
):
    assert not ab.main(["--alerts", "150", "--runs", "1", "--floor", "pgb:TREE=."])
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[8:11] == ["alerts/s", "x", "floor"]
    rows = {line.split()[0]: line.split()[1:] for line in out[1:]}
    total, ratio = float(rows["pgb"][2]), float(rows["pgb"][6])
    floor = float(rows["floor"][0])
    assert 0 < floor < total  # pgb's whole process against the floor's loop alone
    assert ratio == pytest.approx(total / floor, rel=0.02)


def test_the_floor_goes_once_through_the_alerts_asked_for_in_the_replay_servers_replies():
    payloads = load_alerts(floor.ROOT / "tests/data/ztf")
    bodies = floor.replies(payloads, 150)
    assert [len(parse_pull(body)) for body in bodies] == [100, 50]
    assert [m.message.data for m in parse_pull(bodies[1])][:2] == payloads[1:3]  # 100 % 9
    figures = floor.floor_ms(payloads, 150)
    assert figures["alerts"] == 150 and 0 < figures["cpu_ms_per_alert"] < 100


def test_a_variants_pull_arguments_reach_pgb_in_order():
    name, env = ab.variant_env("c2:TREE=.,ARG=--concurrency=2,ARG=--max=5,FOO=1")
    assert name == "c2" and env["ARG"] == "--concurrency=2\0--max=5" and env["FOO"] == "1"


def test_each_round_is_set_against_its_own_floor():
    # Ratios 2.0, 1.0, 3.0: their median is 2.0, where the medians' ratio is 1.2 / 1.0.
    assert floor.paired([1.2, 1.0, 4.5], [0.6, 1.0, 1.5]) == pytest.approx(2.0)
    assert floor.paired([2.0, 1.0], [0.0, 0.5]) == pytest.approx(2.0)  # a failed floor
    assert floor.paired([], []) is None
