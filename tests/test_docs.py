"""The README documents every command, option of ``pgb pull`` and exit code."""

from __future__ import annotations

import re
from pathlib import Path

import typer.core
import typer.main

from pittgoogle_cli.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text()
ROOT = typer.main.get_command(app)


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_every_command_has_help_and_is_in_the_readme():
    assert isinstance(ROOT, typer.core.TyperGroup)
    for name, command in ROOT.commands.items():
        assert command.help, name
        assert f"pgb {name}" in README, name


def test_every_pull_option_is_in_the_readme():
    assert isinstance(ROOT, typer.core.TyperGroup)
    for param in ROOT.commands["pull"].params:
        if isinstance(param, typer.core.TyperOption) and param.name not in {"help"}:
            documented = [o for o in param.opts + param.secondary_opts if o in README]
            assert documented, param.opts


def test_every_exit_code_in_the_cli_docstring_is_in_the_readme():
    import pittgoogle_cli.cli as cli

    codes = set(re.findall(r"\b(\d{1,3}) [a-zA-Z]", cli.__doc__ or ""))
    table = set(re.findall(r"^\| (\d+)(?: / (\d+))? \|", README, re.MULTILINE))
    documented = {c for pair in table for c in pair if c}
    assert codes <= documented
