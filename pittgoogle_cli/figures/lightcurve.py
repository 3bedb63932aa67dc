"""The light curve: detections with their errors and the limits of the non-detections, per
band, in days relative to the alert (MJD along the top).

The points are ``packets.photometry``'s, the same a TOM stores: ZTF's magpsf +- sigmapsf and
diffmaglim limits by fid; LSST's psfFlux in AB magnitudes (5-sigma limits where a forced
measurement is not significant), or with ``flux=True`` the raw psfFlux in nJy. Each series
is a line whose gid says what it is (``detections:g``, ``limits:r``, ``flux:i``), so a test
or a notebook reads the plotted values back from the figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from pittgoogle_cli.packets.photometry import Point, points, unusable

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_MJD_UNIX_EPOCH = 40587.0
# Colours by band, as ZTF's and Rubin's own plots use them (blue to red).
BAND_COLOURS = {
    "u": "#56b4e9",
    "g": "#009e73",
    "r": "#d55e00",
    "i": "#8c564b",
    "z": "#7f7f7f",
    "y": "#222222",
}
BAND_ORDER = "ugrizy"


def mjd(when: datetime) -> float:
    return when.timestamp() / 86400.0 + _MJD_UNIX_EPOCH


def reference_mjd(record: Mapping[str, Any], found: list[Point]) -> float | None:
    """The alert's own time (ZTF candidate.jd, LSST diaSource.midpointMjdTai): day 0."""
    candidate = record.get("candidate")
    if isinstance(candidate, Mapping) and _finite(candidate.get("jd")):
        return float(candidate["jd"]) - 2400000.5
    source = record.get("diaSource")
    if isinstance(source, Mapping) and _finite(source.get("midpointMjdTai")):
        return float(source["midpointMjdTai"])
    return mjd(found[-1].timestamp) if found else None


def draw_light_curve(
    ax: Axes, record: Mapping[str, Any], survey: str | None, *, flux: bool = False
) -> list[str]:
    """The light curve into ``ax``; what is missing from it, as sentences for the caption."""
    ax.set_label("lightcurve")
    found = points(record, survey)
    missing = _missing(record, survey)
    zero = reference_mjd(record, found)
    if zero is None or not found:
        ax.text(
            0.5,
            0.5,
            "no photometry in this alert",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="#555555",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return missing
    if flux and survey == "lsst":
        _draw_flux(ax, found, zero)
    else:
        _draw_magnitudes(ax, found, zero)
    from matplotlib.ticker import ScalarFormatter

    ax.axvline(0, color="#888888", lw=0.8, ls=":", zorder=0, label="this alert")
    ax.set_xlabel("days relative to this alert")
    top = ax.secondary_xaxis("top", functions=(_shift(zero), _shift(-zero)))
    top.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))  # MJD 60736, not +6.07e4
    top.set_xlabel("MJD", fontsize=9)
    top.tick_params(labelsize=8)
    ax.grid(True, alpha=0.25)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: _legend_place(labels[i]))
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        fontsize=8,
        loc="best",
        ncols=2,
        framealpha=0.9,
    )
    return missing


def _draw_magnitudes(ax: Axes, found: list[Point], zero: float) -> None:
    for band in _bands(found):
        colour = BAND_COLOURS.get(band, "#1f77b4")
        seen = [p for p in found if p.bandpass == band and p.brightness is not None]
        if seen:
            bars = ax.errorbar(
                [mjd(p.timestamp) - zero for p in seen],
                [float(p.brightness) for p in seen if p.brightness is not None],
                yerr=[p.error if p.error is not None else 0.0 for p in seen],
                fmt="o",
                ms=5,
                color=colour,
                ecolor=colour,
                elinewidth=1,
                capsize=2,
                label=band,
            )
            bars.lines[0].set_gid(f"detections:{band}")
        limits = [p for p in found if p.bandpass == band and p.limit is not None]
        if limits:
            ax.plot(
                [mjd(p.timestamp) - zero for p in limits],
                [float(p.limit) for p in limits if p.limit is not None],
                "v",
                ms=5,
                color=colour,
                alpha=0.45,
                ls="none",
                label=f"{band} limit",
                gid=f"limits:{band}",
            )
    ax.set_ylabel("magnitude (AB)")
    ax.invert_yaxis()  # brighter is up


def _draw_flux(ax: Axes, found: list[Point], zero: float) -> None:
    """LSST's psfFlux as measured (nJy, with errors), forced measurements hollow."""
    for band in _bands(found):
        colour = BAND_COLOURS.get(band, "#1f77b4")
        mine = [p for p in found if p.bandpass == band and _finite(p.extra.get("psfFlux"))]
        if not mine:
            continue
        bars = ax.errorbar(
            [mjd(p.timestamp) - zero for p in mine],
            [float(p.extra["psfFlux"]) for p in mine],
            yerr=[_or_zero(p.extra.get("psfFluxErr")) for p in mine],
            fmt="o",
            ms=5,
            color=colour,
            ecolor=colour,
            elinewidth=1,
            capsize=2,
            label=band,
        )
        bars.lines[0].set_gid(f"flux:{band}")
        forced = [p for p in mine if p.extra.get("forced")]
        if forced:
            ax.plot(
                [mjd(p.timestamp) - zero for p in forced],
                [float(p.extra["psfFlux"]) for p in forced],
                "o",
                ms=5,
                mfc="white",
                mec=colour,
                ls="none",
                gid=f"forced:{band}",
            )
    ax.axhline(0, color="#999999", lw=0.8)
    ax.set_ylabel("psfFlux (nJy)")


def _missing(record: Mapping[str, Any], survey: str | None) -> list[str]:
    history = "prv_candidates" if survey == "ztf" else "prvDiaSources"
    notes = []
    if survey is None:
        notes.append("not a ZTF or LSST alert: no light curve")
    elif not record.get(history):
        notes.append(f"no history ({history} is empty or absent)")
    skipped = unusable(record, survey)
    if skipped:
        notes.append(
            f"{skipped} entr{'y' if skipped == 1 else 'ies'} not drawn "
            "(time, band or value null, NaN or out of range)"
        )
    return notes


def _legend_place(label: str) -> tuple[int, int, str]:
    """Detections by band, then limits by band, then the alert's own time."""
    kind = 2 if label == "this alert" else 1 if label.endswith(" limit") else 0
    return kind, BAND_ORDER.find(label[:1]) % 10, label


def _shift(by: float) -> Callable[[Any], Any]:
    """``x + by`` for the MJD axis (matplotlib hands it arrays)."""
    return lambda values: np.asarray(values, dtype=float) + by


def _bands(found: list[Point]) -> list[str]:
    present = {p.bandpass for p in found}
    return sorted(present, key=lambda b: (BAND_ORDER.find(b) % 10, b))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _or_zero(value: object) -> float:
    return float(value) if _finite(value) else 0.0  # type: ignore[arg-type]
