"""config.toml and its profiles, as a user meets them: ``pgb config show`` says where each
setting came from (flags > environment > profile > top of the file > default), secrets
masked; ``pgb config set`` writes a private file that keeps its comments; a profile's
project and subscription reach ``pgb pull`` on the emulator; an unknown key is a warning
that names it."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import orjson
import pytest

from pittgoogle_cli import config
from pittgoogle_cli.cli import global_options_first

from .conftest import Channel, pgb_command, pgb_env
from .conftest import run_pgb as run

FILE = """\
# my pgb settings
project = "top-project"
max_bytes = "2GiB"
oauth_client_secret = "GOCSPX-very-secret-value"

[profiles.observatory]
project = "obs-project"
out = "tonight.jsonl"
"""


def pgb(path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    done = run("127.0.0.1:1", *args, PGB_CONFIG=str(path), **env)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def shown(path: Path, *args: str, **env: str) -> dict[str, tuple[str, str]]:
    """``pgb config show --json`` as {setting: (value, from)}."""
    code, out, err = pgb(path, *args, "config", "show", "--json", **env)
    assert code == 0, err
    rows = [orjson.loads(line) for line in out.splitlines()]
    return {row["setting"]: (row["value"], row["from"]) for row in rows}


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    return path


def test_each_setting_says_where_it_came_from(settings_file: Path):
    no_env = {"GOOGLE_CLOUD_PROJECT": ""}
    top = shown(settings_file, **no_env)
    assert top["project"] == ("top-project", str(settings_file))  # `project =` is honoured
    assert top["max_bytes"] == ("2GiB", str(settings_file))
    assert top["subscription"] == ("-", "default")
    profile = shown(settings_file, "--profile", "observatory", **no_env)
    assert profile["project"] == ("obs-project", "profile observatory")
    assert profile["out"] == ("tonight.jsonl", "profile observatory")
    assert profile["max_bytes"] == ("2GiB", str(settings_file))  # the top fills the gaps
    assert shown(settings_file, PGB_PROFILE="observatory", **no_env)["project"][0] == "obs-project"
    from_env = shown(settings_file, "--profile", "observatory", GOOGLE_CLOUD_PROJECT="env-p")
    assert from_env["project"] == ("env-p", "$GOOGLE_CLOUD_PROJECT")
    both = shown(settings_file, GOOGLE_CLOUD_PROJECT="env-p", PGB_PROJECT="pgb-p")
    assert both["project"] == ("pgb-p", "$PGB_PROJECT")


def test_a_flag_wins_over_everything(settings_file: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PGB_CONFIG", str(settings_file))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-p")
    config.use_profile("observatory")
    try:
        assert config.resolve("project", "flag-p").source == "--project"
        assert config.resolve("project", "flag-p").value == "flag-p"
        assert config.resolve("project").source == "$GOOGLE_CLOUD_PROJECT"
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT")
        assert config.resolve("project").value == "obs-project"
    finally:
        config.use_profile(None)


def test_secrets_are_masked_in_text_and_json(settings_file: Path):
    code, out, err = pgb(settings_file, "config", "show")
    assert code == 0, err
    assert "GOCSPX" not in out + err
    assert ["oauth_client_secret", "****"] in [line.split()[:2] for line in out.splitlines()]
    assert shown(settings_file)["oauth_client_secret"][0] == "****"


def test_set_writes_a_private_file_and_keeps_its_comments(tmp_path: Path):
    path = tmp_path / "pgb" / "config.toml"
    assert pgb(path, "config", "set", "project", "my-project")[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("# keep me\n" + path.read_text())
    code, _, err = pgb(path, "--profile", "obs", "config", "set", "schema_dirs", "/a:/b")
    assert code == 0 and "[profiles.obs]" in err, err
    done = subprocess.run(
        pgb_command("config", "set", "oauth_client_secret", "-"),
        env=pgb_env("127.0.0.1:1", PGB_CONFIG=str(path)),
        input=b"GOCSPX-from-stdin\n",
        capture_output=True,
    )
    assert done.returncode == 0 and b"GOCSPX" not in done.stdout + done.stderr
    text = path.read_text()
    assert text.startswith("# keep me\n")
    env = {"GOOGLE_CLOUD_PROJECT": ""}
    assert shown(path, **env)["project"] == ("my-project", str(path))
    assert shown(path, "--profile", "obs", **env)["schema_dirs"][0] == "/a, /b"
    assert 'oauth_client_secret = "GOCSPX-from-stdin"' in text


def test_mistakes_are_named(settings_file: Path):
    settings_file.write_text(FILE + 'projet = "typo"\n')  # lands in [profiles.observatory]
    code, _, err = pgb(settings_file, "--profile", "observatory", "config", "show")
    assert code == 0
    assert "pgb: warning:" in err and "'profiles.observatory.projet'" in err
    assert "did you mean project?" in err
    code, _, err = pgb(settings_file, "--profile", "nope", "config", "show")
    assert code == 2 and err.strip().splitlines()[-1:] == [
        f"pgb: no profile 'nope' in {settings_file} (profiles: observatory)"
    ]
    code, _, err = pgb(settings_file, "config", "set", "subscripton", "x")
    assert code == 2 and "did you mean subscription?" in err
    settings_file.write_text("project = [\n")
    code, _, err = pgb(settings_file, "config", "show")
    assert code == 2 and "not valid TOML" in err


def test_a_profile_feeds_pull_its_project_and_subscription(
    channel: Channel, tmp_path: Path, ztf_payloads: list[bytes]
):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[profiles.night]\nproject = "pgb-tests"\nsubscription = "{channel.subscription_id}"\n'
    )
    channel.publish(ztf_payloads[:3])
    done = run(channel.host, "pull", "--max", "3", "-q", "--profile", "night",
               PGB_CONFIG=str(path), GOOGLE_CLOUD_PROJECT="")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3
    done = run(channel.host, "pull", "--max", "1", PGB_CONFIG=str(path), GOOGLE_CLOUD_PROJECT="")
    assert done.returncode == 2
    assert done.stderr.decode().startswith("pgb: no subscription: name one")


def test_a_profiles_cost_cap_reaches_query(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[profiles.cheap]\nmax_bytes = "lots"\n')
    code, _, err = pgb(path, "query", "--objectId", "ZTF18abcdefg", "--profile", "cheap")
    assert code == 2 and err.startswith("pgb: max_bytes from profile cheap:"), err


def test_debug_and_profile_are_taken_anywhere_on_the_line():
    line = ["pull", "ztf-loop", "--debug", "--max", "3", "--profile", "p", "--", "--debug"]
    assert global_options_first(line) == [
        "--debug", "--profile", "p", "pull", "ztf-loop", "--max", "3", "--", "--debug"
    ]  # fmt: skip
    assert global_options_first(["query", "--profile=x"]) == ["--profile=x", "query"]
