"""JSON lines to a file and to gzip, read back with gzip + orjson."""

from __future__ import annotations

import gzip

import anyio
import orjson
import pytest

from pittgoogle_cli import ConfigError
from pittgoogle_cli.outputs.choose import open_sink
from pittgoogle_cli.shapes.render import render_alert
from pittgoogle_cli.shapes.shape import ShapeOptions, make_renderer

from .samples import as_json, every_avro_alert, with_record


def write_batches(out, batches, render=render_alert):
    async def main():
        sink = open_sink(str(out), None, render)
        try:
            for batch in batches:
                await sink.write(batch)
        finally:
            await sink.aclose()

    anyio.run(main)


@pytest.fixture(scope="module")
def alerts():
    found = every_avro_alert()
    # a NaN must come out as null, as in the JSON-lines output on stdout
    candidate = {**found[0].record["candidate"], "magpsf": float("nan")}
    return [with_record(found[0], candidate=candidate), *found[1:]]


def read_lines(data: bytes):
    return [orjson.loads(line) for line in data.splitlines()]


def test_jsonl_file_holds_every_alert(tmp_path, alerts):
    out = tmp_path / "alerts.jsonl"
    write_batches(out, [alerts[:5], alerts[5:]])
    written = read_lines(out.read_bytes())
    assert written == [as_json(a.record) for a in alerts]
    assert written[0]["candidate"]["magpsf"] is None
    assert written[0]["candid"] == alerts[0].record["candid"]  # 64-bit, exact


def test_jsonl_gz_written_in_three_batches_reads_back_whole(tmp_path, alerts):
    out = tmp_path / "alerts.jsonl.gz"
    write_batches(out, [alerts[:3], alerts[3:8], alerts[8:]])
    with gzip.open(out, "rb") as handle:
        assert read_lines(handle.read()) == [as_json(a.record) for a in alerts]


def test_jsonl_gz_uses_the_renderer_it_is_given(tmp_path, alerts):
    out = tmp_path / "alerts.jsonl.gz"
    write_batches(out, [alerts[:2]], render=make_renderer(ShapeOptions(envelope=True)))
    with gzip.open(out, "rb") as handle:
        first = read_lines(handle.read())[0]
    assert first["messageId"] == alerts[0].message_id
    assert first["alert"]["objectId"] == alerts[0].record["objectId"]


def test_reopening_appends_and_cuts_a_torn_last_member(tmp_path, alerts):
    out = tmp_path / "alerts.jsonl.gz"
    write_batches(out, [alerts[:4]])
    torn = gzip.compress(b"".join(render_alert(a) for a in alerts[4:6]))
    with out.open("ab") as handle:  # what a crash in the middle of a write leaves
        handle.write(torn[: len(torn) // 2])
    write_batches(out, [alerts[4:]])  # those alerts were not acked: they came again
    with gzip.open(out, "rb") as handle:
        assert read_lines(handle.read()) == [as_json(a.record) for a in alerts]


def test_a_damaged_gzip_file_is_not_appended_to(tmp_path, alerts):
    out = tmp_path / "alerts.jsonl.gz"
    write_batches(out, [alerts[:2], alerts[2:4]])
    data = bytearray(out.read_bytes())
    data[20:40] = bytes(20)
    out.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="damaged"):
        write_batches(out, [alerts[4:]])
    assert out.read_bytes() == bytes(data)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"", b""),
        (b'{"a": 1}\n', b'{"a": 1}\n'),
        (b'{"a": 1}\n{"b": [1, 2', b'{"a": 1}\n'),  # torn by a crash: cut
        (b'{"a": 1}\n{"b": 2}', b'{"a": 1}\n{"b": 2}\n'),  # no final newline: given one
        (b'{"torn', b""),
    ],
)
def test_a_jsonl_file_is_appended_to_after_a_whole_line(tmp_path, alerts, before, after):
    out = tmp_path / "alerts.jsonl"
    out.write_bytes(before)
    write_batches(out, [alerts[:1]])
    assert out.read_bytes() == after + render_alert(alerts[0])


def test_the_last_line_is_found_in_a_long_file(tmp_path, alerts):
    from pittgoogle_cli.outputs.choose import end_last_line

    out = tmp_path / "alerts.jsonl"
    whole = b"".join(render_alert(a) for a in alerts)  # lines of ~100 KB, longer than a chunk
    out.write_bytes(whole + render_alert(alerts[0])[:100_000])
    end_last_line(out)
    assert out.read_bytes() == whole
