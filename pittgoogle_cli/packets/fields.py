"""The few fields every output wants, read the same way whatever the survey, pure.

ZTF keeps them in ``candidate``; LSST/Rubin in ``diaSource``/``diaObject`` (fluxes in
nJy, times in MJD TAI); LVK notices have only an event id. Missing means None, never an
exception: alerts with null fields must flow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ZTF_BANDS = {1: "g", 2: "r", 3: "i"}
_MJD_TO_JD = 2400000.5
_NJY_ZERO_POINT = 31.4  # AB magnitude of 1 nJy


def _get(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def is_lsst(record: dict[str, Any]) -> bool:
    return "diaSource" in record


def object_id(record: dict[str, Any]) -> Any:
    if "objectId" in record:
        return record["objectId"]
    if is_lsst(record):
        return (
            _get(record, "diaObject", "diaObjectId")
            or _get(record, "diaSource", "diaObjectId")
            or _get(record, "diaSource", "ssObjectId")
        )
    return record.get("superevent_id")


def candid(record: dict[str, Any]) -> Any:
    if "candid" in record:
        return record["candid"]
    if is_lsst(record):
        return record.get("diaSourceId") or _get(record, "diaSource", "diaSourceId")
    return None


def source(record: dict[str, Any]) -> dict[str, Any]:
    """The detection this alert is about (ZTF ``candidate``, LSST ``diaSource``)."""
    found = record.get("candidate") if "candidate" in record else record.get("diaSource")
    return found if isinstance(found, dict) else {}


def jd(record: dict[str, Any]) -> float | None:
    src = source(record)
    if "jd" in src:
        return src["jd"]  # type: ignore[no-any-return]
    mjd = src.get("midpointMjdTai")
    return mjd + _MJD_TO_JD if isinstance(mjd, (int, float)) else None


def magnitude(record: dict[str, Any]) -> float | None:
    src = source(record)
    if "magpsf" in src:
        return src["magpsf"]  # type: ignore[no-any-return]
    flux = src.get("psfFlux")
    if isinstance(flux, (int, float)) and flux > 0 and math.isfinite(flux):
        return -2.5 * math.log10(flux) + _NJY_ZERO_POINT
    return None


def band(record: dict[str, Any]) -> str | None:
    src = source(record)
    if "fid" in src:
        return ZTF_BANDS.get(src["fid"])
    found = src.get("band", src.get("filterName"))
    return found if isinstance(found, str) else None


def classtar(record: dict[str, Any]) -> float | None:
    """ZTF's star/galaxy score of the nearest source (1 = star); None elsewhere."""
    value = source(record).get("classtar")
    return value if isinstance(value, (int, float)) else None


def ra(record: dict[str, Any]) -> float | None:
    return source(record).get("ra")


def dec(record: dict[str, Any]) -> float | None:
    return source(record).get("dec")


@dataclass(frozen=True, slots=True)
class MainField:
    """One of the few fields every flat view shows: ``--lite``, the SQLite table's columns,
    ``pgb query``'s default columns and TOM Toolkit's alert all read this one table.

    ``read`` finds it in any survey's alert; ``column`` is where Pitt-Google's ZTF
    BigQuery tables keep it (``band`` is a column pgb's SQL computes from ``fid``).
    """

    name: str
    column: str
    read: Callable[[dict[str, Any]], Any]


MAIN_FIELDS = (
    MainField("objectId", "objectId", object_id),
    MainField("candid", "candid", candid),
    MainField("jd", "candidate.jd", jd),
    MainField("ra", "candidate.ra", ra),
    MainField("dec", "candidate.dec", dec),
    MainField("magpsf", "candidate.magpsf", magnitude),
    MainField("band", "band", band),
    MainField("classtar", "candidate.classtar", classtar),
)


def main_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The ``MAIN_FIELDS`` of one alert, by name; a missing one is None."""
    return {f.name: f.read(record) for f in MAIN_FIELDS}
