"""``pgb plot --objectId`` against the BigQuery emulator: one picture per object, its newest
alert at day 0 and the points of all its alerts in the table."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from matplotlib.image import imread

import pittgoogle_cli as pgb
from pittgoogle_cli.engine.plots import from_bigquery
from pittgoogle_cli.packets.photometry import points

from .bqemu import create_table, insert_rows, load_schema, table_row
from .conftest import PROJECT, Alerts, pgb_command_env

TWO_ALERTS = f"{PROJECT}.plots.alerts"


def pgb_plot(host: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    command, env = pgb_command_env(host)
    return subprocess.run([*command[:-1], "plot", *args], env=env, capture_output=True,
                          timeout=120)  # fmt: skip


def drawn_points(figure: Any) -> set[tuple[str, float]]:
    (curve,) = [ax for ax in figure.axes if ax.get_label() == "lightcurve"]
    found = set()
    for line in curve.get_lines():
        kind, _, band = (line.get_gid() or "").partition(":")
        if kind in ("detections", "limits"):
            found |= {(band, round(float(y), 4)) for y in line.get_ydata()}
    return found


def test_an_object_is_one_picture_of_all_its_alerts(
    ztf_alerts: Alerts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A table holding a real alert and a later one of the same object, whose history the
    table's other row does not repeat: the picture has both alerts' points."""
    first = ztf_alerts.records[-1]
    later = copy.deepcopy(first)
    later["candid"] = first["candid"] + 1
    later["candidate"]["jd"] = first["candidate"]["jd"] + 40
    later["candidate"]["magpsf"] = first["candidate"]["magpsf"] - 1.5
    later["prv_candidates"] = []
    schema = load_schema()
    create_table(ztf_alerts.host, TWO_ALERTS, schema)
    insert_rows(ztf_alerts.host, TWO_ALERTS, [table_row(schema, r) for r in (first, later)])

    async def fetch() -> list[Any]:
        return await from_bigquery([first["objectId"]], project=PROJECT, table=TWO_ALERTS)

    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", ztf_alerts.host)
    (drawn,) = anyio.run(fetch)
    assert drawn.alert["candid"] == later["candid"]  # the newest is day 0
    figure = pgb.plot(drawn.alert, notes=drawn.notes)
    want = {(p.bandpass, round(p.brightness or p.limit or 0, 4)) for p in points(first)}
    band = {1: "g", 2: "r", 3: "i"}[later["candidate"]["fid"]]
    want.add((band, round(later["candidate"]["magpsf"], 4)))
    assert drawn_points(figure) == want
    caption = figure.get_supxlabel()
    assert "from BigQuery: 2 alerts of this object; BigQuery holds no cutouts" in caption

    done = pgb_plot(ztf_alerts.host, "--objectId", first["objectId"], "--table", TWO_ALERTS,
                    "-o", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    (path,) = done.stdout.decode().splitlines()
    assert Path(path).name == f"{first['objectId']}_{later['candid']}.png"
    assert imread(path).shape[:2] == (500, 1400)


def test_an_unknown_object_is_not_found(ztf_alerts: Alerts, tmp_path: Path):
    done = pgb_plot(ztf_alerts.host, "--objectId", "ZTF99zzzzzzz", "-o", str(tmp_path))
    assert done.returncode == 4
    assert "pgb: ZTF99zzzzzzz: no alerts with that objectId in the table" in done.stderr.decode()
    known = ztf_alerts.records[0]["objectId"]
    done = pgb_plot(ztf_alerts.host, "--objectId", known, "--objectId", "ZTF99zzzzzzz",
                    "-o", str(tmp_path))  # fmt: skip
    assert done.returncode == 1 and len(done.stdout.splitlines()) == 1
