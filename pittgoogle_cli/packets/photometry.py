"""An alert's light curve as points, pure: what ``pgb plot`` draws and what the TOM's
``PhotometryReducedDatum`` holds (brightness, error, limit, bandpass, time).

- ZTF: the candidate and each ``prv_candidates`` entry with a ``magpsf`` are detections
  (``magpsf`` +- ``sigmapsf``); an entry without one is a non-detection, its limit the
  ``diffmaglim``; the band is ``fid`` (1 g, 2 r, 3 i); the time ``jd``.
- LSST/Rubin: ``diaSource`` and ``prvDiaSources`` are detections, their ``psfFlux`` (nJy)
  turned into AB magnitudes (``31.40 - 2.5 log10(flux)``, error ``1.0857 err/flux``);
  ``prvDiaForcedSources`` are forced measurements, detections at S/N >= 5 and otherwise
  5-sigma limits. A source with no positive flux is a limit as well.

Each point carries the key a TOM needs so that a redelivered alert or a repeated query
never stores it twice: the same epoch in the same band with the same value is one point
(the TOM's own uniqueness rule for photometry, which ``key`` mirrors).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

ZTF_BANDS = {1: "g", 2: "r", 3: "i"}
AB_ZERO_POINT_NJY = 2.5 * math.log10(3631e9)  # 31.40: m_AB = ZP - 2.5 log10(flux in nJy)
_MAG_PER_LN = 2.5 / math.log(10)  # 1.0857...
LIMIT_SIGMA = 5.0
_JD_UNIX_EPOCH = 2440587.5
_MJD_UNIX_EPOCH = 40587.0
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_RUBIN = ("Rubin", "LSSTCam")  # telescope, instrument


@dataclass(frozen=True, slots=True)
class Point:
    """One photometry point: a detection (``brightness`` and ``error``) or a limit."""

    timestamp: datetime
    bandpass: str
    brightness: float | None = None
    error: float | None = None
    limit: float | None = None
    unit: str = "AB mag"
    telescope: str = ""
    instrument: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_limit(self) -> bool:
        return self.brightness is None

    @property
    def key(self) -> tuple[str, datetime, float | None, float | None, str]:
        """What makes a point the same point again (the TOM's unique constraint)."""
        return (self.bandpass, self.timestamp, self.brightness, self.limit, self.instrument)


def from_jd(jd: float) -> datetime | None:
    """UTC from a Julian date; None outside the years 1-9999."""
    try:
        return _EPOCH + timedelta(days=jd - _JD_UNIX_EPOCH)
    except OverflowError:
        return None


def from_mjd(mjd: float) -> datetime | None:
    return from_jd(mjd + _JD_UNIX_EPOCH - _MJD_UNIX_EPOCH)


def points(record: Mapping[str, Any], survey: str | None = None) -> list[Point]:
    """The alert's points, detections and limits, oldest first, each once."""
    survey = survey or guess_survey(record)
    found = _ztf(record) if survey == "ztf" else _lsst(record) if survey == "lsst" else iter(())
    unique: dict[tuple[Any, ...], Point] = {}
    for point in found:
        unique.setdefault(point.key, point)
    return sorted(unique.values(), key=lambda point: (point.timestamp, point.bandpass))


def unusable(record: Mapping[str, Any], survey: str | None = None) -> int:
    """How many of the alert's photometry entries give no point (no time, band or value:
    absent, null or NaN), so that a picture can say what it left out."""
    survey = survey or guess_survey(record)
    if survey == "ztf":
        entries = [record.get("candidate"), *(record.get("prv_candidates") or ())]
        return sum(1 for e in entries if isinstance(e, Mapping) and not any(_ztf_point(e)))
    if survey == "lsst":
        entries = [record.get("diaSource"), *(record.get("prvDiaSources") or ())]
        forced = list(record.get("prvDiaForcedSources") or ())
        return sum(
            1 for e in entries if isinstance(e, Mapping) and not any(_lsst_point(e, forced=False))
        ) + sum(
            1 for e in forced if isinstance(e, Mapping) and not any(_lsst_point(e, forced=True))
        )
    return 0


def guess_survey(record: Mapping[str, Any]) -> str | None:
    if "candidate" in record:
        return "ztf"
    if "diaSource" in record:
        return "lsst"
    return None


def _ztf(record: Mapping[str, Any]) -> Iterator[Point]:
    candidate = record.get("candidate")
    if isinstance(candidate, Mapping):
        yield from _ztf_point(candidate)
    for previous in record.get("prv_candidates") or ():
        if isinstance(previous, Mapping):
            yield from _ztf_point(previous)


def _ztf_point(entry: Mapping[str, Any]) -> Iterator[Point]:
    fid, jd = entry.get("fid"), _number(entry.get("jd"))
    band = ZTF_BANDS.get(fid) if isinstance(fid, int) else None
    when = from_jd(jd) if jd is not None else None
    if when is None or band is None:
        return
    magnitude, error = _number(entry.get("magpsf")), _number(entry.get("sigmapsf"))
    if magnitude is not None:
        extra = {"candid": entry.get("candid"), "isdiffpos": entry.get("isdiffpos")}
        yield Point(when, band, magnitude, error, None, "AB mag", "P48", "ZTF", extra)
        return
    limit = _number(entry.get("diffmaglim"))
    if limit is not None:
        yield Point(when, band, None, None, limit, "AB mag", "P48", "ZTF")


def _lsst(record: Mapping[str, Any]) -> Iterator[Point]:
    source = record.get("diaSource")
    sources = [source] if isinstance(source, Mapping) else []
    sources += [s for s in record.get("prvDiaSources") or () if isinstance(s, Mapping)]
    for entry in sources:
        yield from _lsst_point(entry, forced=False)
    for entry in record.get("prvDiaForcedSources") or ():
        if isinstance(entry, Mapping):
            yield from _lsst_point(entry, forced=True)


def _lsst_point(entry: Mapping[str, Any], *, forced: bool) -> Iterator[Point]:
    mjd, band = _number(entry.get("midpointMjdTai")), entry.get("band")
    if mjd is None or not isinstance(band, str) or not band:
        return
    flux, error = _number(entry.get("psfFlux")), _number(entry.get("psfFluxErr"))
    when = from_mjd(mjd)
    if flux is None or when is None:
        return
    extra = {"psfFlux": flux, "psfFluxErr": error, "forced": forced}
    significant = error is not None and error > 0 and flux / error >= LIMIT_SIGMA
    if flux > 0 and (significant or not forced):
        magnitude = AB_ZERO_POINT_NJY - 2.5 * math.log10(flux)
        mag_error = _MAG_PER_LN * error / flux if error is not None else None
        yield Point(when, band, magnitude, mag_error, None, "AB mag", *_RUBIN, extra)
    elif error is not None and error > 0:
        limit = AB_ZERO_POINT_NJY - 2.5 * math.log10(LIMIT_SIGMA * error)
        yield Point(when, band, None, None, limit, "AB mag", *_RUBIN, extra)


def _number(value: object) -> float | None:
    """A finite float, or None (absent, null, NaN, not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
