"""``pgb NAME ...`` imports the modules of command NAME only: what it registers must be
that command exactly as the whole app has it, and nothing of the other commands loads."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

import orjson
import pytest
import typer
from typer.core import TyperGroup as Group

from pittgoogle_cli import cli

from .cli_tree import tree
from .conftest import pgb_command, pgb_env

NOWHERE = "localhost:9"  # no service: these commands need none
FULL = typer.main.get_command(cli.app)
assert isinstance(FULL, Group)

# Modules a `pgb pull` or `pgb decode` has no use for, and used to import
OTHERS = ("pittgoogle_cli.cli.query", "pittgoogle_cli.bigquery.rest", "pittgoogle_cli.cli.auth",
          "pittgoogle_cli.cli.plot", "pittgoogle_cli.cli.subscription", "sqlite3")  # fmt: skip


_PROBE = """
import sys, orjson, typer
from pittgoogle_cli import cli
from tests.cli_tree import tree
group = typer.main.get_command(cli.commands(sys.argv[1]))
loaded = sorted(m for m in sys.modules if m.startswith(("pittgoogle_cli", "sqlite3")))
print(orjson.dumps({"commands": sorted(group.commands), "top": tree(group),
                    "loaded": loaded}).decode())
"""


def _lazily(name: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _PROBE, name], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", sorted(FULL.commands))
def test_each_command_alone_is_the_whole_apps(name: str):
    lazy = _lazily(name)
    assert name in lazy["commands"]
    assert lazy["top"]["commands"][name] == orjson.loads(orjson.dumps(tree(FULL.commands[name])))
    full_top = orjson.loads(orjson.dumps(tree(FULL)))
    assert {k: v for k, v in lazy["top"].items() if k != "commands"} == {
        k: v for k, v in full_top.items() if k != "commands"
    }  # the global options (--debug, --profile, --version) are there too
    if name in ("pull", "decode"):
        assert [m for m in OTHERS if m in lazy["loaded"]] == []


def test_every_command_has_its_modules_named():
    """A command left out of the map would still work, loading every module each time."""
    assert set(cli._COMMANDS) == set(FULL.commands)


@pytest.mark.parametrize("line", [[], ["--help"]], ids=["pgb", "pgb --help"])
def test_the_list_of_commands_has_them_all(line: list[str]):
    done = subprocess.run(pgb_command(*line), env=pgb_env(NOWHERE), capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    listed = [row.split()[0] for row in (done.stdout + done.stderr).splitlines()
              if row.startswith("  ") and not row.startswith("   ")]  # fmt: skip
    shown = [name for name, command in FULL.commands.items() if not command.hidden]
    assert sorted(set(listed) & set(FULL.commands)) == sorted(shown)


def test_a_misspelt_command_is_still_told_the_nearest():
    typo = subprocess.run(pgb_command("pul", "ztf-loop"), env=pgb_env(NOWHERE),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert typo.returncode == 2
    assert typo.stderr == "pgb: no such command 'pul' (did you mean 'pull'?); see `pgb --help`\n"


# Holds the import of `pgb decode`'s module until the test has sent its signal
_HOLD = """
import sys, time
class Hold:
    def find_spec(self, name, path=None, target=None):
        if name == "pittgoogle_cli.cli.decode":
            print("loading", flush=True)
            time.sleep(30)
        return None
sys.meta_path.insert(0, Hold())
sys.argv = ["pgb", "decode", "--help"]
from pittgoogle_cli.cli import main
main()
"""


def test_ctrl_c_while_the_command_loads_exits_130_without_a_traceback():
    pgb = subprocess.Popen([sys.executable, "-c", _HOLD], env=pgb_env(NOWHERE),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert pgb.stdout is not None and pgb.stdout.readline() == b"loading\n"
    started = time.monotonic()
    pgb.send_signal(signal.SIGINT)
    _, err = pgb.communicate(timeout=30)
    assert (pgb.returncode, err) == (130, b"")
    assert time.monotonic() - started < 10  # at once, not after the 30 s hold
