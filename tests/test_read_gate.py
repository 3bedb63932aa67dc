"""The limit on pull replies read at once, and the patience that overrides it."""

from __future__ import annotations

import anyio

from pittgoogle_cli.google.gate import ReadGate


def test_a_second_reader_waits_its_turn_then_takes_it_anyway():
    order: list[str] = []

    async def main() -> None:
        gate = ReadGate(1, patience=0.3)
        await gate.acquire()
        started = anyio.current_time()
        await gate.acquire()  # nobody releases: patience runs out
        waited = anyio.current_time() - started
        order.append(f"overdrawn after {waited:.1f} s, {gate.holders} holders")
        gate.release()
        gate.release()
        assert gate.holders == 0
        await gate.acquire()  # free again: no wait
        order.append(f"{gate.holders} holder")

    anyio.run(main)
    assert order == ["overdrawn after 0.3 s, 2 holders", "1 holder"]


def test_a_released_turn_goes_to_the_waiter_before_its_patience_runs_out():
    async def main() -> float:
        gate = ReadGate(1, patience=5.0)
        await gate.acquire()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_release_later, gate)
            started = anyio.current_time()
            await gate.acquire()
            waited = anyio.current_time() - started
        assert gate.holders == 1
        return waited

    assert anyio.run(main) < 1.0


async def _release_later(gate: ReadGate) -> None:
    await anyio.sleep(0.1)
    gate.release()
