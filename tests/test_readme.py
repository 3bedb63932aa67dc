"""The README's Python section runs as written, on Google's Pub/Sub emulator.

The code taken is every ```python block directly under the ``## From Python`` heading (up to
the next ``## `` heading), run in order in one namespace, each as ``python -m asyncio`` runs
what is pasted into it: top-level ``await`` allowed, code without it run as it is (so
``pgb.fetch``, for code without an event loop, runs outside one). Before each block the sample
ZTF alerts are published again, as Pitt-Google's ``ztf-loop`` keeps sending them.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import sqlite3
import types
from pathlib import Path
from typing import Any

import anyio
import fastavro
import pytest

import pittgoogle_cli as pgb
from pittgoogle_cli.emulator import create_subscription, create_topic

from .conftest import PROJECT, Channel

README = Path(__file__).parent.parent / "README.md"
SECTION = "## From Python"
PITT_GOOGLE_PROJECT = "ardent-cycling-243415"  # where Pitt-Google's topics live
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    text = README.read_text()
    start = text.find(f"\n{SECTION}\n")
    assert start != -1, f"README.md has no {SECTION!r} heading"
    end = text.find("\n## ", start + 1)
    return BLOCK.findall(text[start : end if end != -1 else len(text)])


def run_block(source: str, namespace: dict[str, Any], index: int) -> None:
    """What ``python -m asyncio`` does with pasted code: a coroutine if it awaits, awaited
    on a fresh event loop; otherwise simply run (with no event loop running)."""
    code = compile(
        source, f"README.md, Python block {index}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    result = types.FunctionType(code, namespace)()
    if inspect.iscoroutine(result):

        async def main() -> None:
            await result

        anyio.run(main)


def the_block(blocks: list[str], call: str) -> int:
    found = [i for i, block in enumerate(blocks) if call in block]
    assert len(found) == 1, f"{call!r} should be in exactly one block: {found}"
    return found[0]


def string_after(source: str, opening: str) -> str:
    """The string literal right after ``opening``: ``PullSettings("ztf-loop"`` -> ztf-loop."""
    match = re.search(rf"{re.escape(opening)}\s*\"([^\"]+)\"", source)
    assert match, f'no {opening}"..." in the README\'s Python blocks'
    return match.group(1)


def test_the_python_section_shows_the_four_steps_in_order():
    code = "\n".join(python_blocks())
    steps = ["pgb.PullSettings(", "where=", "filters=[", "aclosing(pgb.alerts(", "async for"]
    steps += ["= await pgb.pull(", "outcome.", "pgb.fetch("]
    positions = [code.find(step) for step in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions)


def test_the_python_section_runs_and_does_what_it_says(
    emulator: str,
    ztf_payloads: list[bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    blocks = python_blocks()
    assert blocks, f"no ```python blocks under {SECTION!r} in README.md"
    code = "\n".join(blocks)

    # The subscription the README names, on Pitt-Google's topic of that name, as the
    # emulator recipe (and the real service) has it; created before anything is published.
    name = string_after(code, "pgb.PullSettings(")
    channel = Channel(emulator, f"projects/{PITT_GOOGLE_PROJECT}/topics/{name}", name)
    create_topic(emulator, channel.topic)
    create_subscription(emulator, channel.subscription, channel.topic)
    channel.drain_ids()  # nothing left over from an earlier use of the same name

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.setenv("PGB_DEAD_LETTER_DIR", str(tmp_path / "dead-letter"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.chdir(tmp_path)

    namespace: dict[str, Any] = {"__name__": "__main__"}
    printed: list[str] = []
    for index, block in enumerate(blocks):
        channel.publish(ztf_payloads)
        run_block(block, namespace, index)
        printed.append(capsys.readouterr().out)

    # What the settings select in the sample alerts: --where, then the README's filter.
    settings = namespace["settings"]
    assert isinstance(settings, pgb.PullSettings)
    assert settings.where == "candidate.magpsf < 18"
    assert settings.filters and all(callable(f) for f in settings.filters)
    limit = settings.max_alerts
    assert limit is not None
    records = [next(fastavro.reader(io.BytesIO(payload))) for payload in ztf_payloads]
    selected = {
        r["objectId"]
        for r in records
        if r["candidate"]["magpsf"] < 18 and all(f(r) is not None for f in settings.filters)
    }
    all_ids = {r["objectId"] for r in records}
    assert limit <= len(selected) < len(all_ids)  # the example keeps some, drops some

    # The loop printed one line per alert, objectId first.
    lines = printed[the_block(blocks, "pgb.alerts(")].splitlines()
    assert len(lines) == limit
    assert {line.split()[0] for line in lines} <= selected

    # pull() wrote the file out= names, in the cwd, with the alerts; printed the reason.
    at = the_block(blocks, "pgb.pull(")
    out = Path(string_after(blocks[at], "out="))
    assert out.suffix == ".sqlite"
    with sqlite3.connect(tmp_path / out) as db:
        rows = [row[0] for row in db.execute("SELECT objectId FROM alerts")]
    assert len(rows) == limit and set(rows) <= selected
    outcome = namespace["outcome"]
    assert isinstance(outcome, pgb.PullOutcome)
    assert outcome.reason == "max" and outcome.counts.written == limit
    assert printed[at].startswith(f"max {limit} written,")

    # fetch() returned a list of Alerts and printed their objectIds.
    at = the_block(blocks, "pgb.fetch(")
    found = namespace["found"]
    assert len(found) == limit and all(isinstance(alert, pgb.Alert) for alert in found)
    assert {alert.object_id for alert in found} <= selected

    # HeldAlerts handed out the alerts, each acked after the caller's work.
    saved = namespace["saved"]
    assert len(saved) == limit and set(saved) <= selected
    assert printed[at] == f"{[alert.object_id for alert in found]}\n"
    assert not (tmp_path / "dead-letter").exists()  # nothing failed to decode
