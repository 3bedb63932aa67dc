"""The pure core on the real ZTF alerts: decoding, JSON lines, resource names."""

from __future__ import annotations

import io
import math

import fastavro
import orjson
import pybase64
import pytest

from pittgoogle_cli import ConfigError, DecodeError, Decoder
from pittgoogle_cli.pubsub.rest import subscription_name, topic_name
from pittgoogle_cli.shapes.render import render_line

from .conftest import ZTF_FILES


def fastavro_read(payload: bytes) -> dict:
    return next(fastavro.reader(io.BytesIO(payload)))


@pytest.mark.parametrize("path", ZTF_FILES, ids=lambda p: p.name)
def test_each_ztf_version_decodes_to_what_fastavro_reads(path):
    payload = path.read_bytes()
    assert Decoder().decode(payload)[0] == fastavro_read(payload)


def test_each_distinct_schema_is_parsed_once(ztf_payloads):
    decoder = Decoder()
    for payload in ztf_payloads * 3:
        decoder.decode(payload)
    versions = {fastavro.reader(io.BytesIO(p)).metadata["avro.schema"] for p in ztf_payloads}
    assert len(decoder.schemas) == len(versions)


@pytest.mark.parametrize("codec", ["deflate", "null"])
def test_containers_written_with_other_codecs_decode(ztf_payloads, codec):
    reader = fastavro.reader(io.BytesIO(ztf_payloads[0]))
    record = next(reader)
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, [record], codec=codec)
    assert Decoder().decode(out.getvalue())[0] == record


def test_a_container_with_two_alerts_is_refused(ztf_payloads):
    reader = fastavro.reader(io.BytesIO(ztf_payloads[0]))
    record = next(reader)
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, [record, record])
    with pytest.raises(DecodeError, match="holds 2 records"):
        Decoder().decode(out.getvalue())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "unrecognised message encoding"),
        (b"Obj\x01", "truncated"),
        (b"\x00\x00\x00\x03\xe7rest", "unknown schema id 999"),
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "not an object"),
    ],
)
def test_undecodable_bytes_raise_decode_error(data, message):
    with pytest.raises(DecodeError, match=message):
        Decoder().decode(data)


def test_a_block_of_a_negative_record_count_is_a_decode_error():
    buffer = io.BytesIO()
    schema = {"type": "record", "name": "a", "fields": [{"name": "candid", "type": "long"}]}
    fastavro.writer(buffer, schema, [{"candid": 7}])
    whole = buffer.getvalue()
    sync = whole[-16:]
    first_block = whole.index(sync) + 16
    assert whole[first_block] == 2  # a count of 1, zig-zag
    spoilt = whole[:first_block] + b"\x01" + whole[first_block + 1 :]  # -1
    with pytest.raises(DecodeError, match="bad record count"):
        Decoder().decode_all(spoilt)
    assert Decoder().decode_all(whole)[0][0] == {"candid": 7}


def test_truncated_alert_is_a_decode_error(ztf_payloads):
    with pytest.raises(DecodeError):
        Decoder().decode(ztf_payloads[0][: len(ztf_payloads[0]) // 2])


def test_json_lines_are_lossless_and_jq_safe(ztf_payloads):
    record, _ = Decoder().decode(ztf_payloads[0])
    record["candidate"]["magpsf"] = math.nan
    record["candidate"]["sigmapsf"] = math.inf
    line = render_line(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    back = orjson.loads(line)
    assert back["candid"] == record["candid"]  # > 2**53, exact
    assert back["candidate"]["magpsf"] is None and back["candidate"]["sigmapsf"] is None
    stamp = back["cutoutScience"]["stampData"]
    assert pybase64.b64decode(stamp) == record["cutoutScience"]["stampData"]


def test_a_record_with_keys_that_are_not_strings_still_renders(ztf_payloads):
    """A filter's own record may key a dict by number; its line has them as strings, and
    anything JSON has no form for is still refused."""
    record, _ = Decoder().decode(ztf_payloads[0])
    record["bands"] = {1: "g", 2: "r", None: "?"}
    back = orjson.loads(render_line(record))
    assert back["bands"] == {"1": "g", "2": "r", "null": "?"}
    assert back["candid"] == record["candid"] and back["cutoutScience"]["stampData"]
    with pytest.raises(TypeError, match="object"):
        render_line({"when": object()})


def test_names_short_and_full():
    assert (
        subscription_name("ztf-loop", "my-proj").path == "projects/my-proj/subscriptions/ztf-loop"
    )
    full = subscription_name("projects/other/subscriptions/ztf-alerts", None)
    assert (full.project, full.id) == ("other", "ztf-alerts")
    assert topic_name("ztf-loop").path == "projects/ardent-cycling-243415/topics/ztf-loop"


@pytest.mark.parametrize("bad", ["x", "has space", "9starts-with-digit", "goog-reserved", "a/b"])
def test_bad_subscription_ids_are_config_errors(bad):
    with pytest.raises(ConfigError):
        subscription_name(bad, "my-proj")


def test_no_project_is_a_config_error():
    with pytest.raises(ConfigError, match="GOOGLE_CLOUD_PROJECT"):
        subscription_name("ztf-loop", None)
