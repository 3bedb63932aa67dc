"""Rows a TOM offers as targets, from the shipped alerts (no Django needed)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.tom_toolkit.config import from_settings
from pittgoogle_cli.tom_toolkit.targets import object_name, target_rows

DATA = Path(__file__).parent.parent / "data"


def alerts(folder: str) -> list[Alert]:
    found = []
    for path in sorted((DATA / folder).glob("*.avro")):
        for record, schema in Decoder().decode_all(path.read_bytes()):
            found.append(Alert(record, message_id=f"{path.name}-{len(found)}", schema=schema))
    return found


def test_one_row_per_ztf_object_with_the_latest_position_and_all_photometry():
    shipped = alerts("ztf")
    doubled = shipped + [Alert(a.record, message_id=a.message_id + "-again", schema=a.schema)
                         for a in shipped]  # fmt: skip
    rows = target_rows(doubled)
    assert [r["name"] for r in rows] == list(dict.fromkeys(a.record["objectId"] for a in shipped))
    for row in rows:
        mine = [a for a in shipped if a.record["objectId"] == row["name"]]
        assert row["alerts"] == 2 * len(mine) and len(row["message_ids"]) == 2 * len(mine)
        assert (row["ra"], row["dec"]) == (mine[0].record["candidate"]["ra"],
                                           mine[0].record["candidate"]["dec"])  # fmt: skip
        assert row["survey"] == "ZTF" and row["reduced_datums"]["photometry"]
    assert pickle.loads(pickle.dumps(rows)) == rows  # the TOM's cache pickles them


def test_extras_hold_the_latest_candidates_scores_and_no_literal_nulls():
    shipped = alerts("ztf")
    for row in target_rows(shipped):
        latest = max((a for a in shipped if a.record["objectId"] == row["name"]),
                     key=lambda a: a.record["candidate"]["jd"])  # fmt: skip
        extras = row["extras"]
        assert extras["latest_candid"] == str(latest.record["candidate"]["candid"])
        for key in ("classtar", "sgscore1", "distpsnr1", "drb", "rb", "ndethist", "ssnamenr"):
            value = latest.record["candidate"].get(key)
            if value in (None, "null"):
                assert key not in extras
            else:
                assert extras[key] == value
    assert any(a.record["candidate"]["ssnamenr"] == "null" for a in shipped)  # ZTF's own null


def test_lsst_rows_are_named_by_their_dia_object_or_source():
    rows = target_rows(alerts("lsst"))
    assert rows and all(r["name"].startswith("LSST-") and r["survey"] == "LSST" for r in rows)
    assert object_name({"diaSource": {"diaObjectId": 42}}) == "LSST-DIA-42"
    assert object_name({"diaSource": {"ssObjectId": 7}}) == "LSST-SSO-7"
    assert object_name({}) is None


class Settings:
    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)


def test_the_toms_settings_unknown_keys_and_the_old_project_name():
    assert from_settings(Settings(GOOGLE_CLOUD_PROJECT="old-name")).project == "old-name"
    given = Settings(PITTGOOGLE={"project": "new"}, GOOGLE_CLOUD_PROJECT="old-name")
    assert from_settings(given).project == "new"
    with pytest.raises(ConfigError, match="unknown key"):
        from_settings(Settings(PITTGOOGLE={"projcet": "typo"}))
    with pytest.raises(ConfigError, match="PITTGOOGLE"):
        from_settings(Settings(PITTGOOGLE={"timeout": "soon"}))
