"""File names built from alert fields, safe by construction, pure."""

from __future__ import annotations

from typing import Any

from pittgoogle_cli.packets import fields

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def safe_component(text: object, limit: int = 200) -> str:
    """``text`` as one path component that cannot leave its folder: only letters, digits,
    ``-_.``, no leading dot (so never ``.`` or ``..``), at most ``limit`` characters.
    Empty when nothing safe is left; callers choose a fallback."""
    kept = "".join(c for c in str(text) if c in _SAFE)
    return kept.lstrip(".")[:limit]


def cutout_name(record: dict[str, Any], kind: str, data: bytes) -> str:
    """``<objectId>_<candid>_<kind>.fits.gz`` (``.fits`` when the bytes are not gzipped)."""
    stem = safe_component(f"{fields.object_id(record)}_{fields.candid(record)}_{kind}")
    return f"{stem}.fits.gz" if data[:2] == b"\x1f\x8b" else f"{stem}.fits"
