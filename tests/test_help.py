"""Help that answers, as a user at an 80-column terminal reads it: nothing cut off, ``-h``,
examples in every command, metavars in words, the exit codes in ``pgb --help``; usage errors
in one style on a terminal or not; completion for bash, zsh and fish."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import pittgoogle_cli
import pittgoogle_cli.cli as cli
from pittgoogle_cli.cli import app

from .conftest import pgb_command, pgb_env


def commands(command: Any, words: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = [words]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            found += commands(sub, (*words, name))
    return found


ROOT = typer.main.get_command(app)
COMMANDS = commands(ROOT, ())
TYPE_NAMES = re.compile(r"<(str|bool|int|float|path|file|list\[.*?\])|\b(TEXT|INTEGER|FLOAT)\b")


def run(*args: str, columns: int = 80, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        pgb_command(*args),
        env=pgb_env("127.0.0.1:1", COLUMNS=str(columns), **env),
        capture_output=True,
        encoding="utf-8",
        timeout=60,
    )


def in_process(*args: str) -> str:
    """The help as ``pgb`` prints it at 80 columns, without a process per command."""
    done = CliRunner().invoke(app, list(args), prog_name="pgb", env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    return done.output


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(("pgb", *w)))
def test_help_fits_80_columns_with_examples_and_readable_metavars(words: tuple[str, ...]):
    text = in_process(*words, "--help")
    described = [line for line in text.splitlines() if not line.startswith("Usage:")]
    assert not [line for line in described if "..." in line or "…" in line]
    assert max(len(line) for line in text.splitlines()) <= 80
    assert not re.search("[╭│╰]", text)  # no boxes: plain text that wraps
    assert not TYPE_NAMES.search(text), TYPE_NAMES.search(text)
    assert "\nExamples:\n  " in text, f"pgb {' '.join(words)} --help has no examples"
    assert in_process(*words, "-h") == text


def test_help_from_the_command_line_is_the_same():
    done = run("pull", "-h")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Usage: pgb pull [OPTIONS] [SUBSCRIPTION]\n")
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "\nExamples:\n" in done.stdout


def test_top_help_lists_the_exit_codes():
    text = run("--help").stdout
    section = text[text.index("Exit codes:") :]
    documented = re.findall(r"\b(\d+) (?:done|error|bad|credentials|not|query|perm|serv|an )",
                            cli.__doc__ or "")  # fmt: skip
    for code in [*documented, "130", "141", "143"]:
        assert re.search(rf"\b{code}\b", section), code


@pytest.mark.parametrize(
    "entry",
    [["-m", "pittgoogle_cli"], [str(Path(sys.executable).with_name("pgb"))]],
    ids=["python -m pittgoogle_cli", "the pgb script"],
)
def test_version_is_the_clis_line_without_loading_the_cli(entry: list[str]):
    """``pgb --version`` answers before typer, click, rich and the commands are imported
    (0.03 s instead of 0.23, bench/startup.py), with the line the CLI itself prints."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *entry, "--version"],
        capture_output=True, encoding="utf-8", timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    through_cli = CliRunner().invoke(app, ["--version"], prog_name="pgb")
    assert done.stdout == through_cli.output == f"pgb {pittgoogle_cli.__version__}\n"
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    heavy = [name for name in imported if name.split(".")[0] in {"typer", "click", "rich"}]
    assert heavy == [] and "pittgoogle_cli.cli" not in imported


def test_usage_errors_are_one_line_on_a_terminal_too():
    plain = run("pull", "ztf-loop", "--maxx", "3")
    assert plain.returncode == 2 and plain.stdout == ""
    [line] = plain.stderr.splitlines()
    assert line.startswith("pgb: no such option: --maxx (Possible options: --max")
    assert line.endswith("; see `pgb pull --help`")
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            pgb_command("pull", "ztf-loop", "--maxx", "3"),
            env=pgb_env("127.0.0.1:1", COLUMNS="80"),
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    [on_terminal] = done.stderr.decode().splitlines()
    assert on_terminal.startswith("pgb: no such option: --maxx")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("pul",), "pgb: no such command 'pul' (did you mean 'pull'?); see `pgb --help`"),
        (("pull", "ztf-loop", "--max", "five"),
         "pgb: invalid value for '--max': 'five' is not a whole number; see `pgb pull --help`"),
        (("pull", "ztf-loop", "--timeout", "soon"),
         "pgb: invalid value for '--timeout': 'soon' is not a number; see `pgb pull --help`"),
        (("decode", "tests/data/ztf", "--max", "3"),
         "pgb: no such option: --max (pgb decode reads every alert it is given: `pgb decode "
         "... | head -n N` keeps the first N); see `pgb decode --help`"),
    ],
)  # fmt: skip
def test_a_typo_or_a_word_for_a_number_is_told_in_words(args: tuple[str, ...], said: str):
    done = run(*args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", said + "\n")


def test_debug_is_taken_after_the_command():
    done = run("pull", "1x", "--debug")
    assert done.returncode == 2
    assert "Traceback" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("pgb: ")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_three_shells(shell: str):
    done = run("completion", shell)
    assert done.returncode == 0 and "_PGB_COMPLETE" in done.stdout
    assert f"complete_{shell}" in done.stdout


def test_bash_completion_completes_commands_and_options():
    words = {"COMP_CWORD": "1", "COMP_WORDS": "pgb pu", "_PGB_COMPLETE": "complete_bash"}
    assert run(**words).stdout.split() == ["pull"]
    words |= {"COMP_CWORD": "2", "COMP_WORDS": "pgb pull --until"}
    assert run(**words).stdout.split() == ["--until-empty"]
