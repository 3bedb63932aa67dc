"""Rows as TOM Toolkit generic alerts (``--format tom``), pure.

The fields of ``tom_alerts.alerts.GenericAlert``: id, name, ra, dec, mag, score,
timestamp, url; the way the old Pitt-Google TOM module filled them from a ZTF alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pittgoogle_cli.packets.fields import MAIN_FIELDS

# ZTF objects have no Pitt-Google web page; ALeRCE's explorer shows any ZTF objectId.
OBJECT_URL = "https://alerce.online/object/{objectId}"
# Julian date of 1970-01-01T00:00:00 UTC.
_UNIX_EPOCH_JD = 2440587.5
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# What to_tom reads, and the columns `pgb query --format tom` therefore selects.
TOM_FIELDS = ("objectId", "candid", "jd", "ra", "dec", "magpsf", "classtar")
TOM_COLUMNS = tuple(f.column for f in MAIN_FIELDS if f.name in TOM_FIELDS)


def jd_to_iso(jd: float) -> str:
    """A Julian date as ISO 8601 UTC, to the millisecond (``2024-01-02T03:04:05.678Z``)."""
    stamp = _EPOCH + timedelta(milliseconds=round((jd - _UNIX_EPOCH_JD) * 86_400_000))
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _get(row: dict[str, Any], name: str) -> Any:
    """A field of a flat row (``--columns``), else of a whole alert's ``candidate``."""
    if name in row:
        return row[name]
    candidate = row.get("candidate")
    return candidate.get(name) if isinstance(candidate, dict) else None


def to_tom(row: dict[str, Any]) -> dict[str, Any]:
    jd = _get(row, "jd")
    object_id = _get(row, "objectId")
    return {
        "id": _get(row, "candid"),
        "name": object_id,
        "ra": _get(row, "ra"),
        "dec": _get(row, "dec"),
        "mag": _get(row, "magpsf"),
        "score": _get(row, "classtar"),
        "timestamp": jd_to_iso(jd) if isinstance(jd, (int, float)) else None,
        "url": OBJECT_URL.format(objectId=object_id) if object_id else None,
    }
