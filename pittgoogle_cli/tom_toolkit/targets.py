"""Alerts to the rows a TOM offers as targets, pure (no Django): one row per object, with
its position, its latest brightness, its aliases, extras and photometry. The rows are what
the TOM caches (pickled) between the query page and "create targets", so they hold plain
values only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.packets.photometry import Point, guess_survey, points

SOURCE_NAME = "Pitt-Google"


def object_name(record: Mapping[str, Any]) -> str | None:
    """ZTF's ``objectId``; for LSST the DIA object's id (``LSST-DIA-<id>``), else the
    solar-system object's, else the source's own."""
    if record.get("objectId"):
        return str(record["objectId"])
    source = record.get("diaSource") or {}
    obj = record.get("diaObject") or {}
    for prefix, value in (
        ("LSST-DIA", obj.get("diaObjectId") or source.get("diaObjectId")),
        ("LSST-SSO", source.get("ssObjectId")),
        ("LSST-SRC", record.get("diaSourceId") or source.get("diaSourceId")),
    ):
        if value:
            return f"{prefix}-{value}"
    return None


def position(record: Mapping[str, Any]) -> tuple[float | None, float | None]:
    place = record.get("candidate") or record.get("diaSource") or {}
    ra, dec = place.get("ra"), place.get("dec")
    return (float(ra) if ra is not None else None, float(dec) if dec is not None else None)


def point_dict(point: Point) -> dict[str, Any]:
    return {
        "timestamp": point.timestamp.isoformat(),
        "bandpass": point.bandpass,
        "brightness": point.brightness,
        "error": point.error,
        "limit": point.limit,
        "unit": point.unit,
        "telescope": point.telescope,
        "instrument": point.instrument,
        "value": dict(point.extra),
    }


def target_rows(alerts: Iterable[Alert]) -> list[dict[str, Any]]:
    """One row per object, in the order the objects first came; the alerts without a name
    or a position are left out (a TOM target needs both)."""
    grouped: dict[str, list[Alert]] = {}
    for alert in alerts:
        name = object_name(alert.record)
        if name is not None and None not in position(alert.record):
            grouped.setdefault(name, []).append(alert)
    return [_row(name, group) for name, group in grouped.items()]


def _row(name: str, alerts: list[Alert]) -> dict[str, Any]:
    latest = max(alerts, key=_time_of)
    ra, dec = position(latest.record)
    survey = latest.schema.survey or guess_survey(latest.record) or ""
    curve: dict[tuple[Any, ...], Point] = {}
    for alert in alerts:
        for point in points(alert.record, survey):
            curve.setdefault(point.key, point)
    detections = [p for p in curve.values() if not p.is_limit]
    last = max(detections, key=lambda p: p.timestamp) if detections else None
    candids = [alert.candid for alert in alerts if alert.candid is not None]
    return {
        "name": name,
        "ra": ra,
        "dec": dec,
        "mag": round(last.brightness, 3) if last and last.brightness is not None else None,
        "band": last.bandpass if last else "",
        "last_seen": last.timestamp.strftime("%Y-%m-%d %H:%M") if last else "",
        "alerts": len(alerts),
        "survey": survey.upper(),
        "aliases": [],
        "extras": _extras(latest, survey),
        "candids": [str(candid) for candid in candids],
        "message_ids": [alert.message_id for alert in alerts],
        "reduced_datums": {"photometry": [point_dict(p) for p in sorted(curve.values(), key=_at)]},
    }


def _at(point: Point) -> Any:
    return (point.timestamp, point.bandpass)


def _time_of(alert: Alert) -> float:
    record = alert.record
    when = (record.get("candidate") or {}).get("jd")
    if when is None:
        when = (record.get("diaSource") or {}).get("midpointMjdTai")
    return float(when) if isinstance(when, (int, float)) else 0.0


def _extras(alert: Alert, survey: str) -> dict[str, Any]:
    """The target's extra fields: what an astronomer sorts ZTF candidates by."""
    record = alert.record
    extras: dict[str, Any] = {"survey": survey.upper(), "latest_candid": str(alert.candid)}
    candidate = record.get("candidate") or {}
    for key in ("classtar", "sgscore1", "distpsnr1", "drb", "rb", "ndethist", "ssnamenr"):
        value = candidate.get(key)
        # ZTF writes "null" for no solar-system match: no extra, as for a null.
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and value != "null":
            extras[key] = value
    return extras
