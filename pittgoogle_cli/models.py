"""What the library hands to its callers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Alert:
    """One decoded alert and the Pub/Sub message it arrived in.

    ``record`` is the alert as the survey wrote it (for ZTF: ``objectId``, ``candid``,
    ``candidate``...); bytes fields (the FITS cutouts) stay bytes until rendered.
    """

    record: dict[str, Any]
    message_id: str
    publish_time: str
    attributes: Mapping[str, str]

    @property
    def object_id(self) -> Any:
        return self.record.get("objectId")

    @property
    def candid(self) -> Any:
        return self.record.get("candid")
