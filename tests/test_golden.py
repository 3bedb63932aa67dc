"""Golden outputs of the ``pgb`` command: what users see, compared exactly with the files in
``tests/golden/``, so that a change in it is a reviewed diff (hop-client's habit).

- ``help/<words>.txt``: ``pgb ... --help`` of every command, found from the typer app (a new
  command without a file fails, and so does a file whose command is gone);
- ``errors/<case>.txt``: a common mistake's command line, exit code, stdout and stderr;
- ``pull/<case>.txt``: the lines ``pgb pull`` ends with (the summary, the dead letters).

The ``pgb`` script runs as a user runs it, with stdin closed, in its own folder and a fixed
environment: COLUMNS=100, TERM=dumb, NO_COLOR=1, LANG=C.UTF-8, a fake HOME and XDG folders,
no PGB_*/GOOGLE_* variables. Only what must vary is replaced: ``<emulator>`` (its
host:port), ``<tmp>`` (the test's folder), ``<sub>`` (a fresh subscription id), and in pull
summaries ``<s>`` and ``<rate>``. Trailing spaces (rich pads every line) are dropped.

To accept a change, rewrite the files, then read the diff:

    PGB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
    git diff tests/golden
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer

from pittgoogle_cli.cli import app

from .conftest import PROJECT, new_channel

GOLDEN = Path(__file__).parent / "golden"
DATA = Path(__file__).parent / "data"
NOT_AN_ALERT = str(DATA / "README.md")  # text: no encoding pgb knows
AN_ALERT = str(sorted((DATA / "ztf").glob("*.avro"))[0])
UPDATE = os.environ.get("PGB_UPDATE_GOLDEN") == "1"
PGB = Path(sys.executable).with_name("pgb")  # the console script, so usage says `pgb`
FAKE_HOME = "/home/user"
SUB = "<sub>"  # in a case's arguments: a fresh subscription on a fresh topic
GARBAGE = b"\x00\x00\x00\x27\x10garbage"  # wire format, schema id 10000, no such schema
SUMMARY_TIME = re.compile(r" in \S+ s \(\S+ alerts/s\)$", re.MULTILINE)


def check_golden(path: Path, actual: str) -> None:
    actual = "".join(line.rstrip() + "\n" for line in actual.splitlines())
    name = path.relative_to(GOLDEN.parent.parent)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no golden file {name}: write it with PGB_UPDATE_GOLDEN=1, then read it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), f"{name} (golden)", "(now)"
        )
        pytest.fail(
            f"pgb's output changed; if that is intended, rerun with PGB_UPDATE_GOLDEN=1 and "
            f"review the diff:\n{''.join(diff)}",
            pytrace=False,
        )


def golden_env(home: str, emulator: str | None = None, project: bool = True) -> dict[str, str]:
    """Like ``pgb_env``, but built from nothing: no setting of this machine leaks in."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/.config",
        "XDG_CACHE_HOME": f"{home}/.cache",
        "XDG_DATA_HOME": f"{home}/.local/share",
        "XDG_STATE_HOME": f"{home}/.local/state",
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "100",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }
    if emulator is not None:
        env["PUBSUB_EMULATOR_HOST"] = emulator
    if project:
        env["GOOGLE_CLOUD_PROJECT"] = PROJECT
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PGB.is_file(), f"{PGB} is missing: install the package (make install)"
    return subprocess.run(
        [str(PGB), *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
    )


def transcript(args: list[str], done: subprocess.CompletedProcess[str], stdout: str) -> str:
    def block(text: str) -> str:
        return text if text == "" or text.endswith("\n") else text + "\n"

    return (
        f"$ {shlex.join(['pgb', *args])}\nexit code: {done.returncode}\n"
        f"--- stdout\n{block(stdout)}--- stderr\n{block(done.stderr)}"
    )


def placeholders(text: str, **values: str) -> str:
    """``<name>`` for each value given (the longest first, so a path inside another goes)."""
    for name, value in sorted(values.items(), key=lambda item: -len(item[1])):
        text = re.sub(rf"{re.escape(value)}(?![\w-])", f"<{name}>", text)
    return text


# --- help ------------------------------------------------------------------------------------


def command_words(command: Any, words: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """``("pgb",)``, ``("pgb", "auth")``, ``("pgb", "auth", "login")``, ...: every command and
    group typer builds (typer bundles its own click, so groups are told by ``.commands``)."""
    yield words
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            yield from command_words(sub, (*words, name))


COMMANDS = list(command_words(typer.main.get_command(app), ("pgb",)))


def help_file(words: tuple[str, ...]) -> Path:
    return GOLDEN / "help" / ("_".join(words) + ".txt")


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_help(words: tuple[str, ...], tmp_path: Path) -> None:
    done = run([*words[1:], "--help"], golden_env(FAKE_HOME), tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    check_golden(help_file(words), done.stdout)


def test_every_help_file_has_a_command() -> None:
    stale = set((GOLDEN / "help").glob("*.txt")) - {help_file(w) for w in COMMANDS}
    if UPDATE:
        for path in stale:
            path.unlink()
    assert not stale, f"golden help of commands that are gone: {sorted(p.name for p in stale)}"


# --- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    needs: str = ""  # "emulator", or "channel": the emulator and a subscription (SUB)
    project: bool = True  # GOOGLE_CLOUD_PROJECT set


ERRORS = {
    "unknown-option": Case(("pull", "ztf-alerts", "--no-such-option")),
    "option-without-its-value": Case(("pull", "ztf-alerts", "--max")),
    "pull-no-project": Case(("pull", "ztf-alerts"), needs="emulator", project=False),
    "pull-bad-subscription-id": Case(("pull", "1x"), needs="emulator"),
    "where-syntax": Case(("pull", SUB, "--where", "candidate.magpsf <"), "channel"),
    "where-call": Case(("pull", SUB, "--where", "len(x) > 1"), "channel"),
    "filter-no-such-module": Case(("pull", SUB, "--filter", "nosuchmodule:f"), "channel"),
    "out-unknown-suffix": Case(("pull", SUB, "--out", "x.unknownsuffix"), "channel"),
    "classtar-no-threshold": Case(("pull", SUB, "--classtar", "lt"), "channel"),
    "format-tom-out-sqlite": Case(("pull", SUB, "--format", "tom", "--out", "x.sqlite"), "channel"),
    "lite-and-fields": Case(("pull", SUB, "--lite", "--fields", "objectId"), "channel"),
    "decode-no-such-file": Case(("decode", "/no/such/file")),
    "decode-a-file-that-is-no-alert": Case(
        ("decode", AN_ALERT, NOT_AN_ALERT, "--fields", "candid")
    ),
    "where-misspelt-field": Case(("decode", AN_ALERT, "--where", "candidate.magpfs < 18")),
    "where-lite-name": Case(("decode", AN_ALERT, "--lite", "--where", "magpsf < 18")),
    "fields-misspelt": Case(("decode", AN_ALERT, "--fields", "objectId,candidate.decl")),
    "schema-show": Case(("schema", "show", AN_ALERT, NOT_AN_ALERT)),
    "query-nothing-asked": Case(("query",)),
    "query-objectid-and-candid": Case(("query", "--objectId", "ZTF18abc", "--candid", "1")),
    "query-max-bytes-not-a-size": Case(("query", "--objectId", "ZTF18abc", "--max-bytes", "lots")),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    case = ERRORS[name]
    emulator = request.getfixturevalue("emulator") if case.needs else None
    values = {"tmp": str(tmp_path), "data": str(DATA)}
    args = list(case.args)
    if case.needs == "channel":
        values["sub"] = new_channel(emulator).subscription_id
        args = [values["sub"] if a == SUB else a for a in args]
    if emulator is not None:
        values["emulator"] = emulator
    done = run(args, golden_env(str(tmp_path / "home"), emulator, case.project), tmp_path)
    text = transcript(args, done, done.stdout)
    check_golden(GOLDEN / "errors" / f"{name}.txt", placeholders(text, **values))


# --- pull summaries --------------------------------------------------------------------------


PULLS = {
    "max": ("ztf", ("--max", "5")),
    "until-empty": ("ztf", ("--until-empty",)),
    "dead-letter": ("ztf+garbage", ("--until-empty", "--dead-letter", "<tmp>/dead-letter")),
}


@pytest.mark.parametrize("name", PULLS)
def test_pull_summary(name: str, emulator: str, ztf_payloads: list[bytes], tmp_path: Path):
    published, options = PULLS[name]
    channel = new_channel(emulator)
    channel.publish(ztf_payloads + ([GARBAGE] if "garbage" in published else []))
    args = ["pull", channel.subscription_id, *(a.replace("<tmp>", str(tmp_path)) for a in options)]
    done = run(args, golden_env(str(tmp_path / "home"), emulator), tmp_path)
    alerts = [orjson.loads(line) for line in done.stdout.splitlines()]
    stdout = f"{len(alerts)} alerts (JSON lines) of the {len(ztf_payloads)} ZTF alerts published"
    text = SUMMARY_TIME.sub(" in <s> s (<rate> alerts/s)", transcript(args, done, stdout))
    if name == "max":  # what was pulled beyond the 5 by the time pgb stopped depends on timing
        text = re.sub(r"acked, \d+ returned", "acked, <returned> returned", text)
    values = {"tmp": str(tmp_path), "sub": channel.subscription_id, "emulator": emulator}
    check_golden(GOLDEN / "pull" / f"{name}.txt", placeholders(text, **values))
