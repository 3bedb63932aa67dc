"""Every shell example in the README runs as a new user would paste it, on the emulators.

The commands are every line of the README's ```sh, ```bash and ```shell blocks (the ``$ ``
lines of ```console ones): a line ending in ``\\`` or inside an open quote goes on, a
trailing ``# comment`` is not part of it. They run top to bottom as in one terminal: each
command in its own ``bash -e -o pipefail``, in one fresh folder that holds the checkout's
``tests``, ``.venv``, ``Makefile``... as links (so ``pgb decode tests/data/ztf/`` works and
what a command writes lands in the folder), with a fresh HOME (pgb's own config.toml and
state there), ``.venv/bin`` first on PATH, and what a command exports (``export
GOOGLE_CLOUD_PROJECT=...``) or its ``cd`` kept for the commands after it.

Behind them, instead of Google: Google's Pub/Sub emulator holding Pitt-Google's topics, the
ones the README pulls fed the shipped ZTF alerts in a loop (as ``ztf-loop`` keeps sending),
and the BigQuery emulator holding Pitt-Google's ``ztf.alerts_v4_02`` with the same alerts.

A command passes when it exits 0 (or the code ``EXIT_CODES`` gives), prints no traceback,
and shows what ``CHECKS`` says the README promises. A command that streams until Ctrl-C is
stopped as a user stops it (``STREAMING``); one that cannot run here is in ``SKIPPED``, with
why. Anything else in the README runs, so a new example is tested as soon as it is written.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import fastavro
import pytest
import tomlkit

from pittgoogle_cli.emulator import EmulatorMissing, LoopPublisher, PubSubEmulator, create_topic
from pittgoogle_cli.outputs.dead_letter import DeadLetterFolder
from pittgoogle_cli.packets.models import LocalMessage
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT
from pittgoogle_cli.pubsub.topics import TOPICS

from .conftest import DATA, ZTF_FILES
from .query.bqemu import BigQueryEmulator, EmulatorUnavailable, load_sample_alerts, venv_ready
from .test_surveys import bump_lsst_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "pittgoogle_cli" / "packets" / "schemas"
README = ROOT / "README.md"
LINKED = ("tests", ".venv", "Makefile", "pyproject.toml", "pittgoogle_cli", "bench")
FENCE = re.compile(r"^( *)```(sh|bash|shell|console)[ \t]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
COMMAND_TIMEOUT = 30.0  # seconds; make demo, the slowest that finishes, takes ~10
# An LSST alert of a schema version pgb does not ship (id 1001 = v10.1), as test_surveys has it.
UNKNOWN_SCHEMA = (
    b"\x00" + (1001).to_bytes(4, "big") + (DATA / "lsst/lsst.v10_0.avro").read_bytes()[5:]
)
LOOP_RATE = 50.0  # alerts/s on each fed topic, as make demo's ztf-loop

# What cannot run here, and why. Keep it short: everything else runs.
SKIPPED = {
    "make test": "the whole suite, this test included (CI runs it)",
    "make bench": "minutes of benchmark, and installs pgb's [bench] extra from PyPI",
    ".venv/bin/python -m bench --only replay --pgb-also=--workers=2": "minutes of "
    "benchmark; tests/test_bench_replay.py drains the replay server",
    ".venv/bin/python -m bench.ab old:TREE=HEAD~1 new:TREE=.": "minutes of benchmark; "
    "tests/test_bench_ab.py runs it on 300 alerts",
    ".venv/bin/python -m bench.ab --floor pgb:TREE=. c2:TREE=.,ARG=--concurrency=2": "minutes "
    "of benchmark; tests/test_bench_ab.py runs it with --floor on 150 alerts",
    "make demo-tom": "(re)installs .tomvenv from PyPI when pyproject.toml changed, then "
    "serves a TOM on the fixed 127.0.0.1:8000 until Ctrl-C; tests/tom tests the app",
    "pip install 'pittgoogle-cli[tom]'": "downloads from PyPI (make test puts the same extra "
    "into .tomvenv)",
    "pip install 'pittgoogle-cli[plot]'": "downloads from PyPI (the [test] extra puts "
    "matplotlib and astropy into .venv)",
    "python3 -m venv ~/.pgb && ~/.pgb/bin/pip install -q .": "a second install of pgb and "
    "its dependencies from PyPI; make test installs the same into .venv",
    "PGB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py": "rewrites the checkout's "
    "tests/golden files; tests/test_golden.py is part of the suite",
    "ssh -N -L 8085:localhost:8085 you@remote": "needs a remote machine and your SSH login",
    "gsutil cat 'gs://BUCKET/ZTF18*.avro' | pgb decode - --lite": "reads a Cloud Storage "
    "bucket (BUCKET stands for yours): the internet and your Google login; the next example "
    "above feeds pgb decode - the same way",
}


@dataclass(frozen=True)
class Streaming:
    """A command that runs until Ctrl-C: given ``seconds`` (or until its output matches
    ``until``), then sent SIGINT as a terminal's Ctrl-C does; it must then stop cleanly."""

    reason: str
    seconds: float
    until: str | None = None


STREAMING = {
    "pgb pull ztf-alerts --timeout 3600 > tonight.jsonl": Streaming(
        "pulls for an hour; stopped with Ctrl-C after 5 s, it exits 130 with what it wrote", 5
    ),
    **{
        f"pgb pull ztf-loop {selection}": Streaming(
            "the filter examples have no stop: stopped with Ctrl-C after 4 s", 4
        )
        for selection in (
            '--where "candidate.magpsf < 18 and candidate.drb > 0.9"',
            """--where 'not candidate.isdiffpos == "f" and candidate.fid in (1, 2)'""",
            "--classtar-threshold 0.5 --classtar lt",
        )
    },
    "pgb auth login --no-browser --port 8085": Streaming(
        "waits for Google's redirect after the browser login; stopped once it printed the URL",
        15,
        until=r"https://accounts\.google\.com/",
    ),
}
EXIT_CODES: dict[str, int] = {}  # a command the README shows failing, and its exit code
STDIN = {"pgb config set oauth_client_secret -": "GOCSPX-readme-example-secret\n"}


@dataclass(frozen=True)
class Command:
    text: str  # as run: continuation lines kept, comments removed
    line: int  # in README.md, 1-based

    @property
    def key(self) -> str:
        """The command on one line, as the tables above name it."""
        return " ".join(self.text.replace("\\\n", " ").split())


def strip_comment(line: str, quote: str) -> tuple[str, str]:
    """``line`` without its ``# comment``, and the quote still open at its end (or "")."""
    i = 0
    while i < len(line):
        char = line[i]
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            i += 1
        elif quote == '"':
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), ""
        i += 1
    return line, quote


def shell_commands(text: str | None = None) -> list[Command]:
    text = README.read_text() if text is None else text
    commands = []
    for block in FENCE.finditer(text):
        first = text.count("\n", 0, block.start(3)) + 1
        pending: list[str] = []
        start, quote = 0, ""
        for offset, raw in enumerate(block.group(3).splitlines()):
            line = raw[len(block.group(1)) :] if raw.startswith(block.group(1)) else raw
            if block.group(2) == "console" and not pending:
                if not line.startswith("$ "):
                    continue  # the output shown
                line = line[2:]
            code, quote = strip_comment(line, quote)
            if not pending and not code.strip():
                continue
            start = start if pending else first + offset
            pending.append(code)
            if quote or code.endswith("\\"):
                continue
            commands.append(Command("\n".join(pending).strip(), start))
            pending = []
        assert not pending, f"README.md:{start}: a command runs past its block's end"
    return commands


@dataclass
class Ran:
    command: Command
    code: int | None  # None: did not finish
    stdout: str
    stderr: str
    seconds: float
    folder: Path
    home: Path

    def lines(self) -> list[str]:
        return self.stdout.splitlines()


class Terminal:
    """One terminal session of a new user: its folder, HOME and environment."""

    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.folder = base / "work"
        self.home = base / "home"
        self.state = base / "terminal-state.sh"
        self.folder.mkdir()
        self.home.mkdir()
        for name in LINKED:
            (self.folder / name).symlink_to(ROOT / name)
        self.env = env | {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }

    def script(self, command: Command) -> str:
        """The command, after the exports and ``cd`` of the ones before it, and saving its own."""
        return (
            '__state=$1\nif [ -f "$__state" ]; then . "$__state"; fi\n'
            'trap \'__rc=$?; { export -p; printf "cd -- %q\\n" "$PWD"; } > "$__state"; '
            "exit $__rc' EXIT\n"
            f"{command.text}\n"
        )

    def run(self, command: Command) -> Ran:
        streaming = STREAMING.get(command.key)
        stdin = STDIN.get(command.key)
        started = time.monotonic()
        process = subprocess.Popen(
            ["bash", "-e", "-o", "pipefail", "-c", self.script(command), "bash", self.state],
            cwd=self.folder, env=self.env, start_new_session=True,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        if process.stdin:
            process.stdin.write((stdin or "").encode())
            process.stdin.close()
        out, err = Collected(process.stdout), Collected(process.stderr)
        try:
            code = wait(process, streaming, lambda: out.text() + err.text())
        finally:
            if process.poll() is None:  # the test itself was stopped: leave nothing behind
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            out.done(), err.done()
        return Ran(
            command, code, out.text(), err.text(), time.monotonic() - started, self.folder,
            self.home,
        )  # fmt: skip


class Collected:
    """What a child writes on one pipe, read as it comes (to see a streaming one's output)."""

    def __init__(self, pipe: IO[bytes] | None) -> None:
        assert pipe is not None
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[bytes]) -> None:
        with pipe:
            while chunk := pipe.read1(65536):  # type: ignore[attr-defined]
                self._chunks.append(chunk)

    def done(self) -> None:
        self._thread.join(10)

    def text(self) -> str:
        return b"".join(self._chunks).decode(errors="replace")


def wait(
    process: subprocess.Popen[bytes], streaming: Streaming | None, seen: Callable[[], str]
) -> int | None:
    """The exit code; a streaming command is sent Ctrl-C (SIGINT, to the whole pipeline)
    after its time or once ``until`` shows; any other command too after COMMAND_TIMEOUT, and
    then its code is None (it did not finish). Killed 15 s after Ctrl-C if still running."""
    limit = streaming.seconds if streaming else COMMAND_TIMEOUT
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        if streaming and streaming.until and re.search(streaming.until, seen()):
            break
        time.sleep(0.1)
    if process.poll() is not None:
        return process.returncode
    os.killpg(process.pid, signal.SIGINT)
    try:
        code = process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None
    return code if streaming else None


def pulled_topics(commands: list[Command]) -> set[str]:
    """The streams the README pulls (``pgb pull NAME``: a subscription on topic NAME)."""
    return {m.group(1) for c in commands for m in re.finditer(r"\bpgb pull ([\w][\w.-]*)", c.key)}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The two emulators, as the README's commands expect Google to be: Pitt-Google's
    topics (the pulled ones fed the sample alerts in a loop) and its ZTF alerts table.
    A Pub/Sub emulator of its own: the README's names (ztf-loop...) are other tests' too."""
    logs = tmp_path_factory.mktemp("readme-services")
    payloads = [path.read_bytes() for path in ZTF_FILES]
    try:
        with PubSubEmulator(heap="4g", log=logs / "pubsub.log") as pubsub, ExitStack() as stack:
            for topic in TOPICS:
                create_topic(pubsub, f"projects/{PITT_GOOGLE_PROJECT}/topics/{topic.name}")
            bigquery = BigQueryEmulator(log=logs / "bqemulator.log")
            bq_host = bigquery.start()
            stack.callback(bigquery.stop)
            load_sample_alerts(bq_host)
            for name in sorted(pulled_topics(shell_commands())):
                topic = f"projects/{PITT_GOOGLE_PROJECT}/topics/{name}"
                stack.enter_context(LoopPublisher(pubsub, topic, payloads, LOOP_RATE))
            yield {"PUBSUB_EMULATOR_HOST": pubsub, "BIGQUERY_EMULATOR_HOST": bq_host}
    except (EmulatorMissing, EmulatorUnavailable) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs both emulators: {exc}")
        pytest.skip(str(exc))


def terminal_env(services: dict[str, str]) -> dict[str, str]:
    """The developer's environment without anything of pgb's or Google's in it."""
    drop = ("PGB_", "GOOGLE_", "PUBSUB_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)} | services


def give_props(terminal: Terminal) -> None:
    """What the examples take the reader to have: saved messages (``saved/*.bin``: the LSST
    samples, and one of a schema version pgb does not ship, v10.1), the folder of LSST
    schemas that has v10.1 (``~/lsst-schemas``), and that message in the dead-letter folder
    of ``ztf-loop``, where a pull set it aside, for ``pgb dead-letter replay``."""
    saved = terminal.folder / "saved"
    saved.mkdir()
    for sample in sorted((DATA / "lsst").glob("lsst.v*_*.avro")):
        if "fakeAlert" not in sample.name:
            shutil.copy(sample, saved / f"{sample.stem}.bin")
    (saved / "lsst.v10_1.bin").write_bytes(UNKNOWN_SCHEMA)
    bump_lsst_schema(terminal.home / "lsst-schemas")
    letters = DeadLetterFolder(terminal.home / ".local/state/pgb/dead-letter", "ztf-loop")
    letter = LocalMessage(UNKNOWN_SCHEMA, "17001001", "2026-12-02T03:00:00Z", {})
    letters.put(letter, ValueError("unknown schema id 1001 (v10.1)"))


def ztf_sample() -> list[dict[str, Any]]:
    return [next(fastavro.reader(io.BytesIO(path.read_bytes()))) for path in ZTF_FILES]


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def selected(keep: Callable[[dict[str, Any]], bool]) -> set[str]:
    """The objectIds of the sample alerts ``keep`` keeps (a missing field keeps none)."""
    found = set()
    for alert in ztf_sample():
        try:
            if keep(alert):
                found.add(alert["objectId"])
        except (KeyError, TypeError):
            pass
    return found


def pulled_only(keep: Callable[[dict[str, Any]], bool]) -> Callable[[Ran], None]:
    """A filter example: it wrote some alerts while it streamed, and only those kept."""

    def check(ran: Ran) -> None:
        seen = {alert["objectId"] for alert in json_lines(ran.stdout)}
        assert seen <= selected(keep), f"alerts the filter drops: {seen - selected(keep)}"
        assert seen or not selected(keep), "no alert in 4 s of a stream at 50/s"

    return check


def check_demo(ran: Ran) -> None:
    rows = [json.loads(line) for line in ran.lines() if line.startswith("{")]
    assert len(rows) == 100, f"{len(rows)} alerts, not 100"
    assert all(set(row) == {"objectId", "candid", "mag"} for row in rows), rows[0]


def check_max_100(ran: Ran) -> None:
    assert len(ran.lines()) == 100, f"{len(ran.lines())} lines, not 100 alerts"
    assert {json.loads(line) for line in ran.lines()} <= selected(lambda a: True)
    assert "created subscription projects/my-project/subscriptions/ztf-loop" in ran.stderr


def check_tonight(ran: Ran) -> None:
    alerts = json_lines((ran.folder / "tonight.jsonl").read_text())
    assert alerts, "tonight.jsonl is empty after 5 s of a stream at 50/s"
    assert {alert["objectId"] for alert in alerts} <= selected(lambda a: True)


def check_replay(ran: Ran) -> None:
    (alert,) = json_lines((ran.folder / "recovered.jsonl").read_text())
    assert alert["diaSource"]["diaSourceId"], alert.keys()
    folder = ran.home / ".local/state/pgb/dead-letter/ztf-loop"
    assert not list(folder.glob("*.bin")), "the replayed letter is still in the folder"


def check_decode_lite(ran: Ran) -> None:
    summary = re.search(r"`(pgb: decoded [^`]*)` for the first example above", README.read_text())
    assert summary and summary.group(1) in ran.stderr, f"the README's {summary}"
    lines = json_lines(ran.stdout)
    assert {line["objectId"] for line in lines} == selected(lambda a: a["candidate"]["magpsf"] < 18)
    assert all(line["magpsf"] < 18 and "candidate" not in line for line in lines)


def check_bright_sqlite(ran: Ran) -> None:
    files = len(list((ran.folder / "saved").glob("*.bin")))
    assert f"decoded {files} files: {files} written, 0 filtered out, 0 failed" in ran.stderr
    with sqlite3.connect(ran.folder / "bright.sqlite") as db:
        (rows,) = db.execute("SELECT count(*) FROM alerts").fetchone()
    assert rows, "no rows in bright.sqlite"  # (the samples repeat ids: fewer rows than files)


def check_stdin_fields(ran: Ran) -> None:
    lines = json_lines(ran.stdout)
    assert len(lines) == len(ZTF_FILES), f"{len(lines)} alerts from {len(ZTF_FILES)} files"
    assert all(set(line) == {"objectId", "candid"} for line in lines), lines[0]


def check_candid(ran: Ran) -> None:
    (alert,) = [a for a in ztf_sample() if a["candid"] == 2982177112815010003]
    assert json.loads(ran.stdout) == pytest.approx(alert["candidate"]["magpsf"])


def check_demo_query(ran: Ran) -> None:
    rows = [json.loads(line) for line in ran.lines() if line.startswith("{")]
    assert len(rows) == len([a for a in ztf_sample() if a["objectId"] == "ZTF17aaarzyp"])
    assert all(row["objectId"] == "ZTF17aaarzyp" for row in rows)


def check_config_file(key: str, value: str) -> Callable[[Ran], None]:
    def check(ran: Ran) -> None:
        path = ran.home / ".config/pgb/config.toml"
        assert tomlkit.loads(path.read_text()).get(key) == value, path.read_text()
        assert path.stat().st_mode & 0o777 == 0o600, oct(path.stat().st_mode)

    return check


def check_lines(pattern: str, count: int | None = None) -> Callable[[Ran], None]:
    def check(ran: Ran) -> None:
        assert re.search(pattern, ran.stdout + ran.stderr, re.M), f"no {pattern!r} in its output"
        assert count is None or len(ran.lines()) == count, f"{len(ran.lines())} lines"

    return check


# What the README says a command shows, where that is cheap to see.
CHECKS: dict[str, Callable[[Ran], None]] = {
    "make demo": check_demo,
    "pgb pull ztf-loop --max 100 | jq .objectId": check_max_100,
    "pgb pull ztf-alerts --timeout 3600 > tonight.jsonl": check_tonight,
    "pgb dead-letter list": check_lines(r"ztf-loop.*17001001.*unknown schema id 1001"),
    "pgb dead-letter replay ztf-loop --schema-dir ~/lsst-schemas > recovered.jsonl": (check_replay),
    'pgb pull ztf-loop --where "candidate.magpsf < 18 and candidate.drb > 0.9"': pulled_only(
        lambda a: a["candidate"]["magpsf"] < 18 and a["candidate"]["drb"] > 0.9
    ),
    """pgb pull ztf-loop --where 'not candidate.isdiffpos == "f" and candidate.fid in (1, 2)'""": (
        pulled_only(
            lambda a: a["candidate"]["isdiffpos"] != "f" and a["candidate"]["fid"] in (1, 2)
        )
    ),
    "pgb pull ztf-loop --classtar-threshold 0.5 --classtar lt": pulled_only(
        lambda a: a["candidate"]["classtar"] < 0.5
    ),
    'pgb decode tests/data/ztf/ --where "candidate.magpsf < 18" --lite': check_decode_lite,
    "pgb decode saved/*.bin --schema-dir ~/lsst-schemas --out bright.sqlite": (check_bright_sqlite),
    "cat tests/data/ztf/*.avro | pgb decode - --fields objectId,candid": check_stdin_fields,
    "pgb schema fields --survey ztf | grep -i magpsf": check_lines(r"^candidate\.magpsf "),
    "pgb query --candid 2982177112815010003 --full | jq .candidate.magpsf": check_candid,
    "make demo-query": check_demo_query,
    "pgb topics": check_lines(r"^ztf-loop ", count=len(TOPICS) + 1),
    "pgb subscription list": check_lines(r"^ztf-lite .* yes .*\n(.*\n)*ztf-r .*attributes\.band"),
    "pgb config set project my-project": check_config_file("project", "my-project"),
    "pgb --profile observatory config show": check_lines(r"^out .*/alerts/tonight\.jsonl +profile"),
    "pgb config set oauth_client_secret -": check_config_file(
        "oauth_client_secret", STDIN["pgb config set oauth_client_secret -"].strip()
    ),
    "pgb auth login --no-browser --port 8085": check_lines(
        r"https://accounts\.google\.com/\S*client_id=1234-abc\.apps\.googleusercontent\.com"
    ),
}


def reinstalls(terminal: Terminal, command: Command) -> bool:
    """Would this ``make`` first pip-install into the checkout's shared venv?"""
    if not command.key.startswith("make "):
        return False
    dry = subprocess.run(
        ["make", "-n", *command.key.split()[1:]], cwd=terminal.folder, env=terminal.env,
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return "pip install" in dry.stdout


def problems(ran: Ran) -> list[str]:
    streaming = STREAMING.get(ran.command.key)
    expected = EXIT_CODES.get(ran.command.key, 130 if streaming else 0)
    tail = "\n      ".join(ran.stderr.strip().splitlines()[-6:])
    found = []
    if ran.code is None:
        found.append(f"did not finish within {COMMAND_TIMEOUT:g} s (stopped with Ctrl-C)")
    elif ran.code != expected:
        found.append(f"exit {ran.code}, expected {expected}")
    if any(line.startswith("Traceback") for line in ran.stderr.splitlines()):
        found.append("a traceback on stderr")
    check = CHECKS.get(ran.command.key)
    if check and not found:
        try:
            check(ran)
        except AssertionError as exc:
            found.append(f"not what the README says: {exc}")
    if found and tail:
        found.append(f"stderr ends:\n      {tail}")
    return found


@pytest.mark.timeout(900 if not venv_ready() else 300)
def test_every_shell_example_runs(services: dict[str, str], tmp_path: Path):
    commands = shell_commands()
    assert len(commands) > 20, "README.md's shell blocks were not found"
    terminal = Terminal(tmp_path, terminal_env(services))
    give_props(terminal)
    failures = []
    for command in commands:
        if command.key in SKIPPED:
            continue
        if reinstalls(terminal, command):
            failures.append(
                f"README.md:{command.line}: {command.key}\n    not run: it would first "
                "reinstall a venv from PyPI (pyproject.toml changed since): make install"
            )
            continue
        ran = terminal.run(command)
        print(f"README.md:{command.line}: {command.key}: exit {ran.code} in {ran.seconds:.1f} s")
        failures += [
            f"README.md:{command.line}: {command.key}\n    " + "\n    ".join(found)
            for found in [problems(ran)]
            if found
        ]
    assert not failures, f"{len(failures)} README commands failed:\n" + "\n".join(failures)


def test_every_command_the_tables_name_is_in_the_readme():
    """A table entry for a command the README no longer has is stale: it would hide that
    the new wording is not what was checked (or skipped)."""
    commands = {command.key for command in shell_commands()}
    for table in (SKIPPED, STREAMING, EXIT_CODES, STDIN, CHECKS):
        assert set(table) <= commands, set(table) - commands
    assert not set(SKIPPED) & (set(STREAMING) | set(CHECKS))


def test_commands_are_found_as_a_shell_reads_them():
    text = (
        "text\n```sh\n# a comment line\nexport A=1   # set\n\n"
        "pgb pull x \\\n  --max 3 | jq '.a # not a comment'\n"
        "pgb query --sql 'SELECT 1\n   FROM t'  # it's on two lines\n```\n"
        "```console\n$ pgb topics\nztf-loop  ztf  ...\n```\n"
        "```python\nprint(1)\n```\n  ```bash\n  make demo\n  ```\n"
    )
    found = [(c.line, c.key) for c in shell_commands(text)]
    assert found == [
        (4, "export A=1"),
        (6, "pgb pull x --max 3 | jq '.a # not a comment'"),
        (8, "pgb query --sql 'SELECT 1 FROM t'"),
        (12, "pgb topics"),
        (19, "make demo"),
    ]
    assert shell_commands(text)[2].text == "pgb query --sql 'SELECT 1\n   FROM t'"
