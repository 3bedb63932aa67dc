"""The fault proxy between pgb and the emulator, seeded; the seed is printed so that a
failure can be replayed (``PGB_FAULT_SEED=N``)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .proxy import FaultProxy

SEED = int(os.environ.get("PGB_FAULT_SEED", "20261209"))


@pytest.fixture
def proxy(emulator: str) -> Iterator[FaultProxy]:
    """Forwards to the emulator with faults in one request in five of each action."""
    print(f"fault seed {SEED} (PGB_FAULT_SEED replays it)")
    with FaultProxy(emulator, SEED) as proxy:
        yield proxy


@pytest.fixture
def clean_proxy(emulator: str) -> Iterator[FaultProxy]:
    """Forwards everything until switched to an outage or a refusal."""
    with FaultProxy(emulator, SEED, rate=0) as proxy:
        yield proxy
