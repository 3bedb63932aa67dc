"""Real alerts for the output tests, decoded the way a pull decodes them, and the JSON
that a correct output must hold for them (worked out here without pgb's renderer)."""

from __future__ import annotations

import base64
import dataclasses
import math
from pathlib import Path
from typing import Any

from pittgoogle_cli import Alert, Decoder

from ..conftest import DATA, ZTF_FILES

_SHARED = DATA.parents[2] / "shared" / "data"
LSST_DIR = next((d for d in (DATA / "lsst", _SHARED / "lsst") if d.is_dir()), None)
LVK_DIR = next((d for d in (DATA / "lvk", _SHARED / "lvk") if d.is_dir()), None)


def lsst_files() -> list[Path]:
    if LSST_DIR is None:
        return []
    return sorted(LSST_DIR.glob("**/*.avro"))


def lvk_files() -> list[Path]:
    return sorted(LVK_DIR.glob("*.json")) if LVK_DIR is not None else []


def to_alerts(paths: list[Path], decoder: Decoder | None = None) -> list[Alert]:
    """One ``Alert`` per file, as ``pipeline.to_alert`` builds it from a message."""
    decoder = decoder or Decoder()
    found = []
    for n, path in enumerate(paths):
        data = path.read_bytes()
        record, schema = decoder.decode(data)
        found.append(Alert(record, f"{1000 + n}", "2026-11-30T08:00:00.123456Z", {}, data, schema))
    return found


def ztf_alerts() -> list[Alert]:
    return to_alerts(list(ZTF_FILES))


def every_avro_alert() -> list[Alert]:
    """ZTF (four schema versions) and LSST (container and wire format, three versions)."""
    return to_alerts([*ZTF_FILES, *lsst_files()])


def with_record(alert: Alert, **changes: Any) -> Alert:
    return dataclasses.replace(alert, record={**alert.record, **changes})


def as_json(value: Any) -> Any:
    """What the JSON of ``value`` must read back as: bytes base64, NaN/inf null."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class _NaN:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NaN)

    def __hash__(self) -> int:
        return 0


def comparable(value: Any) -> Any:
    """``value`` with NaN made equal to NaN, so decoded alerts compare with ``==``."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return _NaN()
    return value
