"""One alert as one figure: the light curve beside the science, template and difference
cutouts, titled with objectId, candid, position and survey, and a caption saying what the
alert lacks (no history, no cutouts, values that could not be drawn).

No pyplot: the figure is a plain ``matplotlib.figure.Figure`` drawn by the Agg canvas, so
nothing needs a display and nothing is kept in a global figure list (a loop over 10,000
alerts stays flat in memory). A notebook shows the returned figure as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pittgoogle_cli.figures.lightcurve import draw_light_curve
from pittgoogle_cli.figures.stamps import CUTOUT_LABELS, cutout_bytes, draw_stamp
from pittgoogle_cli.packets import fields
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.packets.photometry import guess_survey

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE_INCHES = (14.0, 5.0)
DPI = 100
SURVEY_NAMES = {"ztf": "ZTF", "lsst": "LSST/Rubin"}


def plot(
    alert: Alert | Mapping[str, Any],
    *,
    flux: bool = False,
    survey: str | None = None,
    notes: Iterable[str] = (),
) -> Figure:
    """The alert's light curve and cutouts as a figure (``fig.savefig("x.png")``).

    ``alert`` is a ``pgb.Alert`` or an alert dict (as decoded, or read back from pgb's JSON
    lines, cutouts as base64). ``flux``: LSST's raw psfFlux in nJy instead of AB magnitudes.
    ``notes`` are added to the caption. Missing history, cutouts or values are said in the
    figure, never raised.
    """
    from matplotlib.figure import Figure

    record, version = _record(alert)
    survey = survey or (alert.schema.survey if isinstance(alert, Alert) else None)
    survey = survey or guess_survey(record)
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    grid = figure.add_gridspec(1, 4, width_ratios=(3.2, 1, 1, 1))
    missing = draw_light_curve(figure.add_subplot(grid[0, 0]), record, survey, flux=flux)
    for column, kind in enumerate(CUTOUT_LABELS, start=1):
        draw_stamp(figure.add_subplot(grid[0, column]), kind, record.get(kind), survey)
    if not any(cutout_bytes(record.get(kind)) for kind in CUTOUT_LABELS):
        missing.append("no cutouts in this alert")
    figure.suptitle(title(record, survey, version), fontsize=11)
    caption = [*missing, *notes]
    if caption:
        figure.supxlabel("; ".join(caption), fontsize=8, color="#8a4b00")
    return figure


def title(record: Mapping[str, Any], survey: str | None, version: str | None = None) -> str:
    """``ZTF17aaarzyp  candid 2982177112815010003  RA 137.81968 Dec +33.16722  ZTF v4.02``."""
    name, candid = fields.object_id(dict(record)), fields.candid(dict(record))
    source = fields.source(dict(record))
    lsst = survey == "lsst"
    parts = [f"{'diaObjectId ' if lsst else ''}{name if name is not None else '(no objectId)'}"]
    if candid is not None:
        parts.append(f"{'diaSourceId' if lsst else 'candid'} {candid}")
    ra, dec = source.get("ra"), source.get("dec")
    if _finite(ra) and _finite(dec):
        parts.append(f"RA {ra:.5f} Dec {dec:+.5f}")
    where = SURVEY_NAMES.get(survey or "", "unknown survey")
    if version:
        where += f" v{version}"
    parts.append(where)
    return "    ".join(parts)


def _record(alert: Alert | Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    if isinstance(alert, Alert):
        return alert.record, alert.schema.version or _version(alert.record)
    if isinstance(alert.get("alert"), Mapping) and "messageId" in alert:  # --envelope
        return alert["alert"], _version(alert["alert"])
    return alert, _version(alert)


def _version(record: Mapping[str, Any]) -> str | None:
    version = record.get("schemavsn")
    return str(version) if isinstance(version, str | int | float) else None


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
