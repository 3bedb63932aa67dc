"""The three cutouts (science, template, difference) as pictures: gzip FITS opened with
astropy, a zscale stretch, north up and east left when the header's WCS says where they
are, and a note under each of what the picture shows (orientation, scale, size).

ZTF's cutouts carry no WCS (their headers hold only the image's size and unit): they are
drawn as the camera read them, and the note says the orientation is unknown. LSST's carry
one; a cutout whose axes are turned by a multiple of 90 degrees (or mirrored) is turned
back so that north is up, and arrows mark north and east either way.
"""

from __future__ import annotations

import gzip
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CUTOUT_LABELS = {
    "cutoutScience": "science",
    "cutoutTemplate": "template",
    "cutoutDifference": "difference",
}
ZTF_ARCSEC_PER_PIXEL = 1.01  # the ZTF camera's plate scale; its cutouts carry no WCS
_GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class Stamp:
    """A cutout ready to draw: pixels (north up where known), where north and east point
    in them (pixel vectors; None without a WCS) and the note printed under it."""

    pixels: np.ndarray[Any, Any]
    north: tuple[float, float] | None
    east: tuple[float, float] | None
    note: str


def cutout_bytes(value: object) -> bytes | None:
    """A cutout's FITS bytes from an alert as decoded (bytes, or ZTF's ``stampData``) or as
    pgb wrote it in JSON (base64); None when the alert has none."""
    if isinstance(value, Mapping):
        value = value.get("stampData")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value) or None
    if isinstance(value, str) and value:
        import base64
        import binascii

        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def read_stamp(data: bytes, survey: str | None) -> Stamp:
    """The first image in the FITS ``data`` (gzipped or not); ValueError if there is none."""
    from astropy.io import fits

    raw = gzip.decompress(data) if data[:2] == _GZIP else data
    with warnings.catch_warnings():  # ZTF's SIMPLE card and odd WCS keys warn; not ours
        warnings.simplefilter("ignore")
        with fits.open(io.BytesIO(raw), ignore_missing_simple=True) as hdus:
            hdu = next((h for h in hdus if getattr(h, "data", None) is not None), None)
            if hdu is None or np.ndim(hdu.data) != 2:
                raise ValueError("no 2-d image in it")
            pixels = np.asarray(hdu.data, dtype=float)
            header = hdu.header.copy()
    return _oriented(pixels, header, survey)


def _oriented(pixels: np.ndarray[Any, Any], header: Any, survey: str | None) -> Stamp:
    size = f"{pixels.shape[1]}x{pixels.shape[0]} px"
    axes = _sky_axes(header)
    if axes is None:
        scale = f'{ZTF_ARCSEC_PER_PIXEL:.2f}"/px, ' if survey == "ztf" else ""
        return Stamp(pixels, None, None, f"orientation unknown (no WCS)\n{scale}{size}")
    pixels, north, east = _north_up(pixels, *axes[:2])
    arcsec = axes[2]
    turned = np.degrees(np.arctan2(-north[0], north[1]))
    side = "anticlockwise" if turned > 0 else "clockwise"
    where = "N up, E left" if abs(turned) < 1 else f"N {abs(turned):.0f} deg {side} of up"
    if east[0] > 0:
        where += " (mirrored: E right)"
    return Stamp(pixels, north, east, f'{where}\n{arcsec:.2f}"/px, {size}')


def _sky_axes(header: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], float] | None:
    """Unit pixel vectors pointing north and east, and the scale in arcsec/px, from the
    header's celestial WCS; None without one."""
    from astropy.wcs import WCS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wcs = WCS(header, naxis=2)
        except Exception:  # an unreadable WCS is no WCS
            return None
        if not wcs.has_celestial:
            return None
        matrix = np.asarray(wcs.celestial.pixel_scale_matrix, dtype=float)  # deg per px
    if not np.all(np.isfinite(matrix)) or abs(np.linalg.det(matrix)) == 0:
        return None
    inverse = np.linalg.inv(matrix)
    east, north = inverse[:, 0], inverse[:, 1]  # the pixel step of +RA, +Dec
    arcsec = 3600 * float(np.sqrt(abs(np.linalg.det(matrix))))
    return north / np.linalg.norm(north), east / np.linalg.norm(east), arcsec


def _north_up(
    pixels: np.ndarray[Any, Any], north: np.ndarray[Any, Any], east: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], tuple[float, float], tuple[float, float]]:
    """Of the 8 turns and mirrors of the pixel grid, the one that brings north nearest up
    (+y, drawn with origin lower) and east nearest left; the pixels and vectors after it."""
    best: tuple[float, np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]] | None
    best = None
    for swap in (False, True):
        for flip_x in (False, True):
            for flip_y in (False, True):
                grid, n, e = pixels, north.copy(), east.copy()
                if swap:
                    grid, n, e = grid.T, n[::-1].copy(), e[::-1].copy()
                if flip_x:
                    grid, n[0], e[0] = grid[:, ::-1], -n[0], -e[0]
                if flip_y:
                    grid, n[1], e[1] = grid[::-1, :], -n[1], -e[1]
                score = n[1] - e[0]  # north along +y, east along -x
                if best is None or score > best[0] + 1e-9:
                    best = (score, grid, n, e)
    assert best is not None
    _, grid, n, e = best
    return grid, (float(n[0]), float(n[1])), (float(e[0]), float(e[1]))


def draw_stamp(ax: Axes, kind: str, value: object, survey: str | None) -> None:
    """One cutout into ``ax`` (labelled ``kind``), or a sentence saying why there is none."""
    ax.set_label(kind)
    ax.set_box_aspect(1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(CUTOUT_LABELS.get(kind, kind), fontsize=10)
    data = cutout_bytes(value)
    if data is None:
        _say(ax, f"no {CUTOUT_LABELS.get(kind, kind)} cutout\nin this alert")
        return
    try:
        stamp = read_stamp(data, survey)
    except Exception as exc:  # a broken cutout is told, never fatal to the picture
        _say(ax, f"{CUTOUT_LABELS.get(kind, kind)} cutout\nunreadable: {_short(exc)}")
        return
    finite = stamp.pixels[np.isfinite(stamp.pixels)]
    if finite.size == 0:
        _say(ax, f"{CUTOUT_LABELS.get(kind, kind)} cutout\nhas no finite pixels")
        return
    from astropy.visualization import ImageNormalize, ZScaleInterval

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low, high = ZScaleInterval().get_limits(finite)
    norm = ImageNormalize(vmin=low, vmax=high if high > low else low + 1)
    masked = np.ma.masked_invalid(stamp.pixels)
    ax.imshow(masked, origin="lower", cmap="gray", norm=norm, interpolation="nearest")
    ax.set_xlabel(stamp.note, fontsize=7)
    if stamp.north is not None and stamp.east is not None:
        _compass(ax, stamp.pixels.shape, stamp.north, stamp.east)


def _compass(
    ax: Axes, shape: tuple[int, ...], north: tuple[float, float], east: tuple[float, float]
) -> None:
    """Arrows for north and east, from a corner of the stamp."""
    height, width = shape[0], shape[1]
    length = 0.18 * min(height, width)
    x0, y0 = width * 0.82, height * 0.12
    for (dx, dy), letter in ((north, "N"), (east, "E")):
        ax.annotate(
            "",
            xy=(x0 + dx * length, y0 + dy * length),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": "yellow", "lw": 1},
        )
        ax.text(
            x0 + dx * length * 1.35,
            y0 + dy * length * 1.35,
            letter,
            color="yellow",
            fontsize=7,
            ha="center",
            va="center",
        )


def _say(ax: Axes, text: str) -> None:
    import textwrap

    text = "\n".join(textwrap.fill(line, 24) for line in text.splitlines())
    ax.set_facecolor("#f0f0f0")
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=9,
        transform=ax.transAxes,
        color="#555555",
        wrap=True,
    )


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:70]
