"""``--filter SPEC``: filters from a module, a file and an entry point, run as a pull runs
them on the real ZTF alerts, and every way a spec can be wrong."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from pittgoogle_cli import ConfigError, FilterFailed
from pittgoogle_cli.filters.specs import ENTRY_POINT_GROUP, load_filter, load_filters

from .conftest import Record, candids, run_filters, unique_name, write_module

FILTERS = """
import anyio

seen = []
LIMIT = 18.0


def bright(alert):
    seen.append(alert["candid"])
    mag = alert["candidate"]["magpsf"]
    return alert if mag is not None and mag < LIMIT else None


async def bright_later(alert):
    await anyio.sleep(0)
    return bright(alert)


def tagged(alert):
    return {**alert, "tagged_by": __name__}


def mark(letter):
    def marker(alert):
        alert.setdefault("marks", []).append(letter)
        return alert
    return marker


first, second, third = mark("a"), mark("b"), mark("c")


def explode(alert):
    raise ValueError(f"no thanks: {alert['candid']}")


class Cuts:
    @staticmethod
    def faint(alert):
        return alert if alert["candidate"]["magpsf"] >= LIMIT else None
"""


def bright_ones(records: list[Record], limit: float = 18.0) -> list[int]:
    """Worked out here from the dicts, without pgb."""
    expected = [r["candid"] for r in records if r["candidate"]["magpsf"] < limit]
    assert 0 < len(expected) < len(records)  # the cut means something on these alerts
    return expected


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.syspath_prepend(str(tmp_path))
    return write_module(tmp_path, FILTERS)


def test_a_module_function(module: str, ztf_records: list[Record]):
    bright = load_filter(f"{module}:bright")
    assert bright is importlib.import_module(module).bright
    assert candids(run_filters(ztf_records, [bright])) == bright_ones(ztf_records)


def test_a_dotted_name_in_a_module(module: str, ztf_records: list[Record]):
    faint = load_filter(f"{module}:Cuts.faint")
    kept = candids(run_filters(ztf_records, [faint]))
    assert kept == [c for c in candids(ztf_records) if c not in bright_ones(ztf_records)]


def test_a_file_by_path_is_one_module_whatever_path_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ztf_records: list[Record]
):
    folder = tmp_path / "my filters"
    folder.mkdir()
    (folder / "cuts.py").write_text(FILTERS)
    monkeypatch.chdir(tmp_path)
    by_absolute = load_filter(f"{folder / 'cuts.py'}:bright")
    by_relative = load_filter("my filters/cuts.py:bright")
    assert by_absolute is by_relative  # loaded once: its module state is shared
    assert candids(run_filters(ztf_records, [by_relative])) == bright_ones(ztf_records)
    assert sys.modules[by_absolute.__module__].seen == candids(ztf_records)  # type: ignore[attr-defined]
    assert folder.as_posix() not in sys.path  # its folder was not put on the path


def test_an_async_filter_is_awaited(module: str, ztf_records: list[Record]):
    later = load_filter(f"{module}:bright_later")
    assert candids(run_filters(ztf_records, [later])) == bright_ones(ztf_records)


def test_a_filter_may_change_the_alert(module: str, ztf_records: list[Record]):
    kept = run_filters(ztf_records, [load_filter(f"{module}:tagged")])
    assert [r["tagged_by"] for r in kept] == [module] * len(ztf_records)
    assert [{k: v for k, v in r.items() if k != "tagged_by"} for r in kept] == ztf_records


def test_filters_run_in_order_and_stop_at_the_first_drop(module: str, ztf_records: list[Record]):
    specs = [f"{module}:{name}" for name in ("first", "second", "bright", "third")]
    kept = run_filters(ztf_records, load_filters(specs))
    assert candids(kept) == bright_ones(ztf_records)
    for record in ztf_records:  # marked in place, so the dropped ones show how far they got
        expected = ["a", "b", "c"] if record["candid"] in candids(kept) else ["a", "b"]
        assert record["marks"] == expected


def test_a_raising_filter_is_reported_by_name(module: str, ztf_records: list[Record]):
    with pytest.raises(FilterFailed, match="explode raised ValueError") as caught:
        run_filters(ztf_records[:1], [load_filter(f"{module}:explode")])
    assert isinstance(caught.value.__cause__, ValueError)


def install_distribution(site: Path, dist: str, entry_points: str, module: str = "") -> None:
    """A package as pip leaves it in site-packages: the module and its .dist-info."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}")
    if module:
        (site / f"{dist}.py").write_text(module)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_an_entry_point(site: Path, ztf_records: list[Record]):
    dist = unique_name("mypkg")
    install_distribution(site, dist, f"bright = {dist}:bright\n", FILTERS)
    importlib.invalidate_caches()
    bright = load_filter("bright")
    assert bright.__module__ == dist
    assert candids(run_filters(ztf_records, [bright])) == bright_ones(ztf_records)


def test_an_unknown_name_lists_the_installed_ones(site: Path):
    dist = unique_name("mypkg")
    install_distribution(site, dist, f"bright = {dist}:bright\nfaint = {dist}:Cuts.faint\n")
    importlib.invalidate_caches()
    with pytest.raises(ConfigError) as caught:
        load_filter("brigth")
    assert f"no filter of that name in {ENTRY_POINT_GROUP} (installed: bright, faint)" in str(
        caught.value
    )


def test_two_packages_offering_one_name_is_an_error(site: Path):
    one, two = unique_name("one"), unique_name("two")
    install_distribution(site, one, f"bright = {one}:bright\n", FILTERS)
    install_distribution(site, two, f"bright = {two}:bright\n", FILTERS)
    importlib.invalidate_caches()
    with pytest.raises(ConfigError, match="two packages offer it") as caught:
        load_filter("bright")
    assert f"{one}:bright" in str(caught.value) and f"{two}:bright" in str(caught.value)


def test_an_entry_point_that_fails_to_load(site: Path):
    dist = unique_name("mypkg")
    install_distribution(site, dist, f"broken = {dist}:nothing_here\n", "x = 1\n")
    importlib.invalidate_caches()
    with pytest.raises(ConfigError, match=r"loading .*:nothing_here \(entry point\) failed: "):
        load_filter("broken")


BROKEN = {
    "raises.py": "1 / 0\n",
    "syntax.py": "def bright(alert) return alert\n",
    "exits.py": "raise SystemExit(3)\n",
    "needs.py": "import pgb_no_such_dependency\n",
    "notes.txt": "def bright(alert): return alert\n",
}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "give module:function, path/to/file.py:function or the name of an installed"),
        ("{mod}:", "give module:function"),
        (":bright", "give module:function"),
        ("{mod}:1bright", "give module:function"),
        (".relative:bright", "give the module's full name"),
        ("pgb_no_such_module:bright", "no module named 'pgb_no_such_module' (for a file, give "),
        ("json.nope:bright", "no module named 'json.nope'"),
        ("{mod}:brigth", "{mod} has no 'brigth'; did you mean 'bright'?"),
        ("{mod}:Cuts.fiant", "{mod}:Cuts has no 'fiant'; did you mean 'faint'?"),
        ("{mod}:LIMIT", "that is not callable: 18.0"),
        ("{dir}/missing.py:bright", "no such file: {dir}/missing.py"),
        ("{dir}/notes.txt:bright", "{dir}/notes.txt is not a .py file"),
        ("{dir}/raises.py:bright", "raises.py failed: ZeroDivisionError: division by zero"),
        ("{dir}/syntax.py:bright", "syntax.py failed: SyntaxError: "),
        ("{dir}/exits.py:bright", "exits.py failed: SystemExit: 3"),
        ("{dir}/needs.py:bright", "No module named 'pgb_no_such_dependency'"),
        ("{dir}/cuts.py", "name the function too: {dir}/cuts.py:function"),
        ("no_such_filter", f"no filter of that name in {ENTRY_POINT_GROUP}"),
    ],
)
def test_a_spec_that_cannot_be_loaded_is_a_config_error(
    spec: str, message: str, module: str, tmp_path: Path
):
    for name, source in BROKEN.items():
        (tmp_path / name).write_text(source)
    fill = {"mod": module, "dir": tmp_path.as_posix()}
    with pytest.raises(ConfigError) as caught:
        load_filter(spec.format(**fill))
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"--filter {spec.format(**fill)!r}: ")
    assert message.format(**fill) in str(caught.value)
    assert not [
        name
        for name in sys.modules
        if name.startswith("_pgb_filter_")
        and name.split("_")[3] in {"raises", "syntax", "exits", "needs"}
    ]
