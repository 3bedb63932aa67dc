"""``pgb.plot``: every shipped alert drawn, its plotted points read back from the figure and
compared with the alert's own detections and limits; stamps oriented by their WCS; what an
alert lacks said in its picture; one picture per survey compared with a reviewed reference.

``PGB_UPDATE_GOLDEN=1`` rewrites the references (then look at them before committing).
"""

from __future__ import annotations

import copy
import gzip
import io
import math
import os
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from astropy.io import fits
from matplotlib.image import imread
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

import pittgoogle_cli as pgb
from pittgoogle_cli.figures.lightcurve import mjd
from pittgoogle_cli.figures.stamps import read_stamp
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.packets.photometry import points

DATA = Path(__file__).parent / "data"
REFERENCE = Path(__file__).parent / "figures"
ZTF = sorted((DATA / "ztf").glob("*.avro"))
LSST = sorted((DATA / "lsst").glob("*.avro"))
PIXELS = (500, 1400)  # 14 x 5 inches at 100 dpi


def alerts(path: Path) -> list[Alert]:
    return [Alert(r, schema=i) for r, i in Decoder().decode_all(path.read_bytes())]


def series(figure: Any, kind: str) -> dict[str, list[tuple[float, float]]]:
    """What the figure plots as ``kind`` (detections, limits, flux), by band, sorted."""
    (curve,) = [ax for ax in figure.axes if ax.get_label() == "lightcurve"]
    found: dict[str, list[tuple[float, float]]] = {}
    for line in curve.get_lines():
        gid = line.get_gid() or ""
        if gid.startswith(f"{kind}:"):
            pairs = zip(line.get_xdata(), line.get_ydata(), strict=True)
            found[gid.split(":", 1)[1]] = sorted((float(x), float(y)) for x, y in pairs)
    return found


def expected(alert: Alert, kind: str) -> dict[str, list[tuple[float, float]]]:
    """The same from the alert itself, day 0 being the alert's own time."""
    record = alert.record
    if "candidate" in record:
        zero = record["candidate"]["jd"] - 2400000.5
    else:
        zero = record["diaSource"]["midpointMjdTai"]
    want: dict[str, list[tuple[float, float]]] = {}
    for p in points(record):
        value = p.brightness if kind == "detections" else p.limit
        if kind == "flux":
            value = p.extra.get("psfFlux")
        if value is not None:
            want.setdefault(p.bandpass, []).append((mjd(p.timestamp) - zero, value))
    return {band: sorted(pairs) for band, pairs in want.items()}


def same(got: dict[str, list[tuple[float, float]]], want: dict[str, list[tuple[float, float]]]):
    assert sorted(got) == sorted(want)
    for band, pairs in want.items():
        assert len(got[band]) == len(pairs), band
        for (x, y), (wx, wy) in zip(got[band], pairs, strict=True):
            assert x == pytest.approx(wx, abs=1e-6) and y == pytest.approx(wy, rel=1e-9)


def texts(figure: Any) -> str:
    return " | ".join(t.get_text() for t in figure.findobj(Text) if t.get_text())


@pytest.mark.parametrize("path", ZTF + LSST, ids=lambda p: p.name)
def test_every_shipped_alert_is_drawn_with_its_own_points(path: Path, tmp_path: Path):
    for n, alert in enumerate(alerts(path)):
        figure = pgb.plot(alert)
        out = tmp_path / f"{n}.png"
        figure.savefig(out)
        assert imread(out).shape[:2] == PIXELS
        same(series(figure, "detections"), expected(alert, "detections"))
        same(series(figure, "limits"), expected(alert, "limits"))
        if path.name == "lsst.v7_4.avro":  # a fake alert: its times are Unix seconds, not MJD
            said = texts(figure)
            assert "no photometry in this alert" in said
            assert "3 entries not drawn (time, band or value null, NaN or out of range)" in said
        else:
            assert series(figure, "detections"), "every other shipped alert has a detection"
        title = figure.get_suptitle()
        assert str(alert.object_id) in title and ("ZTF" in title or "LSST" in title)


def test_a_ztf_alert_shows_its_three_cutouts_as_the_camera_read_them():
    (alert,) = alerts(ZTF[-1])
    figure = pgb.plot(alert)
    assert "candid " + str(alert.record["candid"]) in figure.get_suptitle()
    assert f"RA {alert.record['candidate']['ra']:.5f}" in figure.get_suptitle()
    for kind in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
        (ax,) = [a for a in figure.axes if a.get_label() == kind]
        raw = gzip.decompress(alert.record[kind]["stampData"])
        with fits.open(io.BytesIO(raw), ignore_missing_simple=True) as hdus:
            pixels = np.asarray(hdus[0].data, dtype=float)
        np.testing.assert_array_equal(ax.images[0].get_array().filled(np.nan), pixels)
        assert "orientation unknown (no WCS)" in ax.get_xlabel()  # ZTF's carry no WCS
        assert '1.01"/px, 63x63 px' in ax.get_xlabel()


def test_lsst_flux_plots_psfflux_in_njy():
    for path in LSST:
        for alert in alerts(path):
            figure = pgb.plot(alert, flux=True)
            same(series(figure, "flux"), expected(alert, "flux"))
            assert "psfFlux (nJy)" in texts(figure) or path.name == "lsst.v7_4.avro"


def test_a_json_line_pgb_wrote_draws_like_the_alert(tmp_path: Path):
    import orjson

    from pittgoogle_cli.shapes.render import render_line

    (alert,) = alerts(ZTF[-1])
    line = orjson.loads(render_line(alert.record))  # cutouts as base64, as pgb writes them
    figure = pgb.plot(line)
    same(series(figure, "detections"), expected(alert, "detections"))
    (ax,) = [a for a in figure.axes if a.get_label() == "cutoutDifference"]
    assert ax.images, "the base64 cutout is drawn"
    wrapped = {"messageId": "1", "publishTime": "", "attributes": {}, "alert": line}
    same(series(pgb.plot(wrapped), "detections"), expected(alert, "detections"))  # --envelope


def wcs_stamp(cd: list[list[float]]) -> tuple[bytes, tuple[int, int]]:
    """A 21x21 FITS with the given CD matrix and one bright pixel 6 px north of the centre;
    where that pixel is in the array."""
    header = fits.Header()
    header.update(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CRVAL1=150.0, CRVAL2=2.0,
                  CRPIX1=11, CRPIX2=11, CD1_1=cd[0][0], CD1_2=cd[0][1], CD2_1=cd[1][0],
                  CD2_2=cd[1][1])  # fmt: skip
    inverse = np.linalg.inv(np.array(cd))
    north = inverse[:, 1] / np.linalg.norm(inverse[:, 1])
    x, y = (round(10 + 6 * north[0]), round(10 + 6 * north[1]))
    pixels = np.zeros((21, 21), dtype=np.float32)
    pixels[y, x] = 100
    buffer = io.BytesIO()
    fits.PrimaryHDU(pixels, header).writeto(buffer)
    return gzip.compress(buffer.getvalue()), (y, x)


S = 0.2 / 3600  # 0.2 arcsec per pixel


@pytest.mark.parametrize(
    "cd",
    [
        [[-S, 0], [0, S]],  # north up, east left already
        [[S, 0], [0, S]],  # mirrored: east right
        [[0, -S], [-S, 0]],  # north along -x, east along -y
        [[0, S], [S, 0]],  # transposed
        [[S, 0], [0, -S]],  # turned 180 degrees
    ],
)
def test_a_stamp_with_a_wcs_is_turned_north_up_east_left(cd: list[list[float]]):
    data, _ = wcs_stamp(cd)
    stamp = read_stamp(data, "lsst")
    y, x = np.unravel_index(np.argmax(stamp.pixels), stamp.pixels.shape)
    assert (y, x) == (16, 10), "the bright pixel north of the centre is drawn above it"
    assert stamp.north == pytest.approx((0, 1)) and stamp.east == pytest.approx((-1, 0))
    assert stamp.note.startswith('N up, E left\n0.20"/px, 21x21 px')


def test_a_stamp_turned_by_30_degrees_says_so_and_points_north():
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    data, _ = wcs_stamp([[-S * c, S * s], [S * s, S * c]])
    stamp = read_stamp(data, "lsst")
    assert stamp.note.startswith("N 30 deg clockwise of up") and "N up" not in stamp.note
    assert stamp.north is not None
    turned = math.degrees(math.atan2(-stamp.north[0], stamp.north[1]))
    assert abs(turned) == pytest.approx(30, abs=0.5)


def test_what_an_alert_lacks_is_said_in_the_picture_never_raised(tmp_path: Path):
    (alert,) = alerts(ZTF[-1])
    record = copy.deepcopy(alert.record)
    record["prv_candidates"] = None
    record["cutoutScience"] = None
    record["cutoutTemplate"] = {"fileName": "x", "stampData": b"not a FITS file"}
    figure = pgb.plot(record)
    said = texts(figure)
    assert "no history (prv_candidates is empty or absent)" in said
    assert "no science cutout" in said and "template cutout\nunreadable: " in said
    magnitude = pytest.approx(record["candidate"]["magpsf"])
    assert series(figure, "detections") == {"r": [(0.0, magnitude)]}
    figure.savefig(tmp_path / "lacking.png")

    record = copy.deepcopy(alert.record)
    record["prv_candidates"][0]["magpsf"] = float("nan")
    record["prv_candidates"][0]["diffmaglim"] = float("nan")
    record["candidate"]["sigmapsf"] = float("nan")
    figure = pgb.plot(record)
    assert "1 entry not drawn (time, band or value null, NaN or out of range)" in texts(figure)
    same(series(figure, "detections"), expected(Alert(record), "detections"))
    figure.savefig(tmp_path / "nan.png")

    for nothing in ({}, {"objectId": "ZTF00aaaaaaa"}, {"candidate": None, "prv_candidates": []}):
        figure = pgb.plot(nothing)
        assert "no photometry in this alert" in texts(figure)
        figure.savefig(tmp_path / "nothing.png")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("ztf", DATA / "ztf/ztf_20250302_programid1_ZTF17aaarzyp_2982177112815010003.v4_02.avro"),
        ("lsst", DATA / "lsst/lsst.v10_0.avro"),
    ],
)
def test_the_look_matches_the_reviewed_reference(name: str, path: Path, tmp_path: Path):
    """A change in the look is a reviewed diff of tests/figures/*.png."""
    (alert,) = alerts(path)
    with matplotlib.rc_context(matplotlib.rcParamsDefault):
        figure = pgb.plot(alert)
    reference = REFERENCE / f"{name}.png"
    if os.environ.get("PGB_UPDATE_GOLDEN"):
        figure.savefig(reference)
    actual = tmp_path / f"{name}.png"
    figure.savefig(actual)
    # Same matplotlib, same bundled FreeType: the same pixels (RMS 0). Recolouring one band
    # of ZTF's picture measured RMS 1.3, so 0.3 lets no visible change through.
    difference = compare_images(str(reference), str(actual), tol=0.3)
    assert difference is None, difference
