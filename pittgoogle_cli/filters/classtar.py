"""The old Pitt-Google TOM module's star/galaxy cut, pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.packets.fields import classtar


@dataclass(frozen=True, slots=True)
class ClasstarCut:
    """The old Pitt-Google TOM module's star/galaxy cut on ZTF's ``candidate.classtar``
    (SExtractor's score of the nearest source: 1 star, 0 galaxy): ``gt`` keeps alerts whose
    classtar is strictly greater than ``threshold``, ``lt`` strictly less.

    Null-safe: an alert whose classtar is null, missing or NaN is dropped, never an error.
    Alerts of other surveys (LSST/Rubin, LVK) have no classtar, so the cut drops them all;
    it is the same as ``--where "candidate.classtar > T"`` (or ``<``).
    """

    threshold: float
    direction: Literal["gt", "lt"] = "gt"

    def __post_init__(self) -> None:
        value = self.threshold
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"--classtar-threshold: {value!r} is not a number")
        if not 0 <= value <= 1:
            raise ConfigError(f"--classtar-threshold: {value} is not between 0 and 1")
        if self.direction not in ("gt", "lt"):
            raise ConfigError(f"--classtar: {self.direction!r} is neither gt nor lt")

    def __call__(self, record: dict[str, Any]) -> dict[str, Any] | None:
        score = classtar(record)
        if score is None or not math.isfinite(score):
            return None
        keep = score > self.threshold if self.direction == "gt" else score < self.threshold
        return record if keep else None


def classtar_filter(threshold: float, direction: Literal["gt", "lt"] = "gt") -> ClasstarCut:
    """``--classtar-threshold T --classtar gt|lt``; ``ConfigError`` for T outside [0, 1]."""
    return ClasstarCut(threshold, direction)
