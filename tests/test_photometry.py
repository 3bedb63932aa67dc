"""The light curve a TOM stores for each shipped alert: every detection and limit once,
in the right band, at the right time, with LSST fluxes in AB magnitudes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.photometry import from_mjd, points

DATA = Path(__file__).parent / "data"
ZTF = sorted((DATA / "ztf").glob("*.avro"))
LSST = sorted((DATA / "lsst").glob("*.avro"))


def records(path: Path) -> list[dict]:
    return [record for record, _ in Decoder().decode_all(path.read_bytes())]


def jd_of(moment: datetime) -> float:
    return moment.timestamp() / 86400 + 2440587.5


@pytest.mark.parametrize("path", ZTF, ids=lambda p: p.name)
def test_ztf_detections_and_limits_are_the_alerts(path: Path) -> None:
    [record] = records(path)
    entries = [record["candidate"], *(record["prv_candidates"] or [])]
    band = {1: "g", 2: "r", 3: "i"}
    detections = {(round(e["jd"], 6), band[e["fid"]], e["magpsf"]) for e in entries
                  if e["magpsf"] is not None}  # fmt: skip
    limits = {(round(e["jd"], 6), band[e["fid"]], e["diffmaglim"]) for e in entries
              if e["magpsf"] is None and e["diffmaglim"] is not None}  # fmt: skip
    found = points(record)
    got_detections = [(round(jd_of(p.timestamp), 6), p.bandpass, p.brightness)
                      for p in found if not p.is_limit]  # fmt: skip
    got_limits = [(round(jd_of(p.timestamp), 6), p.bandpass, p.limit) for p in found if p.is_limit]
    assert sorted(got_detections) == sorted(detections)  # each once
    assert sorted(got_limits) == sorted(limits)
    assert len(found) == len(detections) + len(limits)
    latest = record["candidate"]
    [point] = [p for p in found if p.extra.get("candid") == latest["candid"]]
    assert point.brightness == latest["magpsf"] and point.error == latest["sigmapsf"]
    assert [p.timestamp for p in found] == sorted(p.timestamp for p in found)


def test_some_shipped_ztf_alert_has_history_and_limits() -> None:
    # Else the test above would hold for alerts without history only.
    found = [points(record) for path in ZTF for record in records(path)]
    assert any(sum(not p.is_limit for p in f) > 5 and any(p.is_limit for p in f) for f in found)


@pytest.mark.parametrize("path", LSST, ids=lambda p: p.name)
def test_lsst_fluxes_become_ab_magnitudes(path: Path) -> None:
    for record in records(path):
        sources = [record["diaSource"], *(record["prvDiaSources"] or [])]
        found = points(record, "lsst")
        for source in sources:
            flux = source["psfFlux"]
            if flux is None or flux <= 0 or from_mjd(source["midpointMjdTai"]) is None:
                continue  # v7.4's sample has MJD 1480360995 (year > 9999): left out
            # AB: m = -2.5 log10(f / 3631 Jy), with f in nJy = 1e-9 Jy.
            expected = -2.5 * math.log10(flux * 1e-9 / 3631)
            at = [p for p in found if p.bandpass == source["band"] and not p.is_limit
                  and abs(p.brightness - expected) < 1e-3]  # fmt: skip
            assert at, (source["band"], expected)
            assert at[0].error == pytest.approx(1.0857 * source["psfFluxErr"] / flux, rel=1e-3)
        assert all(p.bandpass in "ugrizy" for p in found)


def test_most_shipped_lsst_alerts_have_points() -> None:
    found = [points(record) for path in LSST for record in records(path)]
    assert sum(bool(f) for f in found) >= len(found) - 1


def test_a_forced_source_below_five_sigma_is_a_limit() -> None:
    record = {
        "diaSource": {
            "midpointMjdTai": 60900.0,
            "band": "g",
            "psfFlux": 1000.0,
            "psfFluxErr": 10.0,
        },
        "prvDiaForcedSources": [
            {"midpointMjdTai": 60890.0, "band": "g", "psfFlux": 30.0, "psfFluxErr": 10.0},
            {"midpointMjdTai": 60880.0, "band": "g", "psfFlux": -5.0, "psfFluxErr": 10.0},
        ],
    }
    limit, negative, detection = points(record)
    five_sigma = -2.5 * math.log10(5 * 10.0 * 1e-9 / 3631)
    assert negative.limit == pytest.approx(five_sigma) and negative.brightness is None
    assert limit.limit == pytest.approx(five_sigma)
    assert detection.brightness == pytest.approx(-2.5 * math.log10(1000e-9 / 3631))
    j2000 = datetime(2000, 1, 1, tzinfo=timezone.utc)  # MJD 51544.0
    assert detection.timestamp == j2000 + timedelta(days=60900 - 51544)


def test_nan_missing_and_unknown_bands_are_left_out_not_fatal() -> None:
    record = {
        "candidate": {"jd": 2460000.5, "fid": 2, "magpsf": float("nan"), "diffmaglim": 20.5},
        "prv_candidates": [
            {"jd": 2459999.5, "fid": 9, "magpsf": 18.0, "sigmapsf": 0.1},
            {"jd": None, "fid": 1, "magpsf": 18.0},
            {"jd": 2459998.5, "fid": 1, "magpsf": None, "diffmaglim": None},
            "not a dict",
        ],
    }
    record["prv_candidates"].append({"jd": 1e12, "fid": 1, "magpsf": 18.0})  # year > 9999
    [only] = points(record)
    assert only.is_limit and only.limit == 20.5 and only.bandpass == "r"
    assert points({"objectId": "x"}) == []
