"""``open_sink`` picks the output from ``--format`` or the name of ``--out``."""

from __future__ import annotations

import gzip
import sys

import anyio
import pytest

from pittgoogle_cli import Alert, ConfigError, Decoder, DecodeSettings, decode_files
from pittgoogle_cli.engine import build
from pittgoogle_cli.engine.batch import as_line
from pittgoogle_cli.outputs.avro import AvroFolderSink
from pittgoogle_cli.outputs.base import line_render
from pittgoogle_cli.outputs.choose import open_sink, output_format
from pittgoogle_cli.outputs.jsonl import JsonLinesFileSink, JsonLinesSink
from pittgoogle_cli.outputs.jsonl_gz import GzipJsonLinesSink
from pittgoogle_cli.outputs.parquet import ParquetDatasetSink
from pittgoogle_cli.outputs.sqlite import SqliteSink
from pittgoogle_cli.packets.models import LocalMessage
from pittgoogle_cli.shapes.render import render_alert
from pittgoogle_cli.shapes.shape import make_renderer

from ..conftest import ZTF_FILES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alerts.jsonl", JsonLinesFileSink),
        ("ALERTS.JSONL", JsonLinesFileSink),
        ("alerts.jsonl.gz", GzipJsonLinesSink),
        ("alerts.sqlite", SqliteSink),
        ("alerts.db", SqliteSink),
        ("alerts.parquet", ParquetDatasetSink),
        ("avro/", AvroFolderSink),
    ],
)
def test_the_suffix_chooses_the_sink(tmp_path, name, expected):
    sink = open_sink(f"{tmp_path}/{name}", None, render_alert)
    assert type(sink) is expected
    anyio.run(sink.aclose)


@pytest.mark.parametrize("out", [None, "-"])
def test_no_out_is_json_lines_on_stdout(out):
    assert type(open_sink(out, None, render_alert)) is JsonLinesSink


def test_an_existing_folder_gets_avro_files(tmp_path):
    assert output_format(str(tmp_path)) == "avro"


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("alerts.txt", "jsonl", JsonLinesFileSink),
        ("alerts.txt.gz", "jsonl", GzipJsonLinesSink),
        ("keep", "avro", AvroFolderSink),
        ("alerts.data", "sqlite", SqliteSink),
        ("alerts.jsonl", "parquet", ParquetDatasetSink),
    ],
)
def test_format_wins_over_the_suffix(tmp_path, name, fmt, expected):
    sink = open_sink(str(tmp_path / name), fmt, render_alert)
    assert type(sink) is expected
    anyio.run(sink.aclose)


def test_an_unknown_suffix_is_a_config_error_listing_the_choices(tmp_path):
    with pytest.raises(ConfigError) as caught:
        open_sink(str(tmp_path / "alerts.csv"), None, render_alert)
    assert caught.value.exit_code == 2
    message = str(caught.value)
    for choice in (".jsonl", ".jsonl.gz", ".sqlite", ".db", ".parquet", "folder", "--format"):
        assert choice in message
    assert not (tmp_path / "alerts.csv").exists()


@pytest.mark.parametrize(
    ("out", "fmt", "match"),
    [
        ("x.jsonl", "csv", "unknown --format 'csv'"),
        (None, "sqlite", "give --out PATH"),
        ("missing/alerts.sqlite", None, "does not exist"),
    ],
)
def test_bad_combinations_are_config_errors(tmp_path, monkeypatch, out, fmt, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=match):
        open_sink(out, fmt, render_alert)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)
    for name in ("pittgoogle_cli.outputs.parquet", "pittgoogle_cli.outputs.arrow_schema"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ConfigError, match=r"pip install 'pittgoogle-cli\[parquet\]'"):
        open_sink(str(tmp_path / "alerts.parquet"), None, render_alert)


def test_a_format_given_as_an_enum_member_works(tmp_path):
    from enum import Enum

    class Format(str, Enum):
        sqlite = "sqlite"

    assert output_format(str(tmp_path / "x"), Format.sqlite) == "sqlite"


@pytest.mark.parametrize(("name", "fmt"), [("alerts.parquet", None), ("keep", "avro")])
def test_a_file_where_a_folder_output_goes_is_refused(tmp_path, name, fmt):
    (tmp_path / name).write_bytes(b"not a folder")
    with pytest.raises(ConfigError, match="is a file"):
        open_sink(str(tmp_path / name), fmt, render_alert)


@pytest.mark.parametrize("name", ["nope/alerts.jsonl", "nope/alerts/", "nope/a.parquet"])
def test_an_output_in_a_missing_folder_is_refused_whatever_its_kind(tmp_path, name):
    """A typo in the path is told, for files and folder outputs alike, not made into
    folders (a folder output itself is made, as ``mkdir`` would: its parent exists)."""
    with pytest.raises(ConfigError, match=f"folder {tmp_path}/nope does not exist"):
        open_sink(f"{tmp_path}/{name}", None, render_alert)
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize(
    ("out", "given", "lines"),
    [
        (None, {}, True),
        ("alerts.jsonl", {}, True),
        ("alerts.jsonl.gz", {}, True),
        ("alerts.txt", {"format": "jsonl"}, True),
        ("tom.jsonl", {"format": "tom"}, True),
        ("alerts.jsonl", {"cutouts": "stamps/"}, False),  # the cutout files need the record
        ("alerts.sqlite", {}, False),  # objectId and candid columns, from the record
        ("alerts.parquet", {}, False),
        ("avro/", {}, False),
    ],
)
def test_only_json_lines_outputs_take_the_engines_lines(tmp_path, out, given, lines):
    """A JSON-lines output says how the engine must render (``line_render``) and writes
    the line the engine made of each alert as it is; the others take whole alerts."""
    if "cutouts" in given:
        given = {"cutouts": tmp_path / given["cutouts"]}
    target = f"{tmp_path}/{out}" if out else None
    sink = build.open_output(DecodeSettings(**given), target, acked=False)
    try:
        assert (line_render(sink) is not None) is lines
        if lines:
            anyio.run(sink.write, [as_line(LocalMessage(b""), b'{"made": "by the engine"}\n')])
    finally:
        anyio.run(sink.aclose)
    if lines and target is not None:
        written = (tmp_path / out).read_bytes()
        if out.endswith(".gz"):
            written = gzip.decompress(written)
        assert written == b'{"made": "by the engine"}\n'


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"envelope": True},
        {"int64_as_string": True},
        {"fields": "objectId,candidate.magpsf,prv_candidates[].jd"},
        {"lite": True},
        {"format": "tom"},
        {"cutouts": "drop"},
    ],
)
def test_the_engine_renders_each_shape_as_the_output_would(tmp_path, given):
    """``pgb decode`` to a .jsonl, where the engine renders each alert: the lines are
    those of the shape's own renderer, applied to each decoded alert."""
    files = list(ZTF_FILES)
    settings = DecodeSettings(**given)
    out = tmp_path / "alerts.jsonl"
    anyio.run(lambda: decode_files(files, settings, out=out))
    render, decoder = make_renderer(settings.shape()), Decoder()
    expected = []
    for path in files:
        record, schema = decoder.decode(path.read_bytes())
        expected.append(render(Alert(record, path.name, "", {}, path.read_bytes(), schema)))
    assert out.read_bytes() == b"".join(expected)


@pytest.mark.parametrize("fmt", ["sqlite", "avro", "parquet"])
def test_a_device_takes_json_lines_only(fmt):
    with pytest.raises(ConfigError, match=f"--format {fmt} writes files; /dev/null is a device"):
        open_sink("/dev/null", fmt, render_alert)
    assert output_format("/dev/null") == "jsonl"
