"""``pgb plot`` as a user runs it: files, folders, pgb's own JSON lines, a dead-letter
``.bin``, and ``pgb pull | pgb plot -`` on Google's Pub/Sub emulator. Each picture opens, has
the promised size and name, and the paths are the data on stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from matplotlib.image import imread

from .conftest import DATA, Channel, pgb_command, pgb_env, run_pgb
from .test_dead_letter_cli import set_aside
from .test_surveys import bump_lsst_schema

ZTF_FILE = DATA / "ztf/ztf_20250302_programid1_ZTF17aaarzyp_2982177112815010003.v4_02.avro"
ZTF_NAME = "ZTF17aaarzyp_2982177112815010003"


def pgb(*args: str, host: str = "127.0.0.1:1", **env: str) -> tuple[int, list[str], str]:
    done = run_pgb(host, *args, **env)
    return done.returncode, done.stdout.decode().splitlines(), done.stderr.decode()


def test_a_file_and_a_folder_give_one_png_each_named_by_objectid_and_candid(tmp_path: Path):
    code, paths, err = pgb("plot", str(ZTF_FILE), "--out", str(tmp_path / "one"))
    assert code == 0, err
    assert paths == [str(tmp_path / "one" / f"{ZTF_NAME}.png")]
    assert imread(paths[0]).shape[:2] == (500, 1400)
    assert "pgb: 1 picture written to" in err

    code, paths, err = pgb("plot", str(DATA / "ztf"), str(DATA / "lsst"), "-o", str(tmp_path))
    assert code == 0, err
    shipped = len(list((DATA / "ztf").glob("*.avro"))) + len(list((DATA / "lsst").glob("*.avro")))
    assert len(paths) == len(set(paths)) == shipped  # five LSST fakes share one id: -2, -3...
    assert all(Path(p).is_file() and imread(p).shape[:2] == (500, 1400) for p in paths)


def test_json_lines_pgb_wrote_and_the_other_formats(tmp_path: Path):
    lines = tmp_path / "alerts.jsonl"
    code, _, err = pgb("decode", str(ZTF_FILE), "--out", str(lines))
    assert code == 0, err
    code, paths, err = pgb("plot", str(lines), "--format", "svg", "-o", str(tmp_path), "-q")
    assert (code, err) == (0, "")
    assert Path(paths[0]).name == f"{ZTF_NAME}.svg"
    assert Path(paths[0]).read_bytes().startswith(b"<?xml")
    code, paths, err = pgb("plot", str(ZTF_FILE), "--format", "pdf", "-o", str(tmp_path))
    assert Path(paths[0]).read_bytes().startswith(b"%PDF-")
    # Same alert, same bytes: a picture is reviewable and a re-run rewrites it unchanged.
    first = Path(paths[0]).read_bytes()
    pgb("plot", str(ZTF_FILE), "--format", "pdf", "-o", str(tmp_path))
    assert Path(paths[0]).read_bytes() == first


def test_a_dead_letter_bin_is_drawn_once_its_schema_is_given(channel: Channel, tmp_path: Path):
    dead = tmp_path / "dead"
    set_aside(channel, dead)
    (letter,) = (dead / channel.subscription_id).glob("*.bin")
    code, paths, err = pgb("plot", str(letter), "-o", str(tmp_path))
    assert (code, paths) == (1, [])
    assert f"pgb: {letter}: unknown schema id 1001" in err and "Traceback" not in err
    schemas = bump_lsst_schema(tmp_path / "schemas")
    code, paths, err = pgb("plot", str(letter), "--schema-dir", str(schemas), "-o", str(tmp_path))
    assert code == 0, err
    assert Path(paths[0]).name.startswith("281323062375219201_")


def test_pull_piped_into_plot_draws_each_alert_as_it_comes(
    channel: Channel, ztf_payloads: list[bytes], tmp_path: Path
):
    channel.publish(ztf_payloads[:3])
    pull = " ".join(pgb_command("pull", channel.subscription_id, "--max", "3", "-q"))
    plot = " ".join(pgb_command("plot", "-", "--out", str(tmp_path / "pictures")))
    done = subprocess.run(["sh", "-c", f"{pull} | {plot}"], env=pgb_env(channel.host),
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    paths = done.stdout.decode().splitlines()
    assert len(paths) == 3 and all(imread(p).shape[:2] == (500, 1400) for p in paths)
    assert sorted(p.name for p in (tmp_path / "pictures").iterdir()) == sorted(
        Path(p).name for p in paths
    )


def test_a_bad_file_is_told_and_the_others_are_still_drawn(tmp_path: Path):
    bad = tmp_path / "bad.avro"
    bad.write_bytes(b"Obj\x01 not really")
    code, paths, err = pgb("plot", str(bad), str(ZTF_FILE), "-o", str(tmp_path))
    assert code == 1 and len(paths) == 1
    assert f"pgb: {bad}" in err and "Traceback" not in err


def test_mistakes_give_one_line_and_an_exit_code(tmp_path: Path):
    code, _, err = pgb("plot")
    assert code == 2 and err.startswith("pgb: give alert files") and err.count("\n") == 1
    code, _, err = pgb("plot", str(ZTF_FILE), "--objectId", "ZTF18abcdefg")
    assert code == 2 and "give alert files (or -) or --objectId" in err
    code, _, err = pgb("plot", str(tmp_path / "missing.avro"))
    assert code == 2 and "no such file or folder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = pgb("plot", str(tmp_path / "empty"), "-o", str(tmp_path))
    assert code == 4 and "no alerts found" in err
    code, _, err = pgb("plot", str(ZTF_FILE), "--format", "gif")
    assert code == 2 and "gif" in err


def test_without_the_plot_extra_it_says_which_to_install(tmp_path: Path):
    """A Python where matplotlib cannot be imported, as without ``pittgoogle-cli[plot]``."""
    blocker = tmp_path / "site" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    env = pgb_env("127.0.0.1:1", PYTHONPATH=str(tmp_path / "site"))
    done = subprocess.run(pgb_command("plot", str(ZTF_FILE)), env=env, capture_output=True,
                          cwd=tmp_path, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "pgb: pgb plot needs matplotlib and astropy: pip install 'pittgoogle-cli[plot]'\n"
    )
    assert not list(tmp_path.glob("*.png"))


def test_head_closing_the_paths_ends_it_quietly(tmp_path: Path):
    with subprocess.Popen(
        pgb_command("plot", str(DATA / "ztf"), "-o", str(tmp_path)),
        env=pgb_env("127.0.0.1:1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141 and Path(first.decode().strip()).is_file()
    assert "Traceback" not in err and "Broken pipe" not in err


def test_headless_without_a_display(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env.update(MPLBACKEND="TkAgg", PGB_CONFIG="/nonexistent/config.toml")  # a user's setting
    done = subprocess.run([sys.executable, "-m", "pittgoogle_cli", "plot", str(ZTF_FILE), "-o",
                           str(tmp_path)], env=env, capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"{ZTF_NAME}.png").is_file()
