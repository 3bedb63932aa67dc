"""Hostile messages mixed among good alerts, as a broken or malicious publisher might send
them: each bad one is set aside with its reason and exact bytes, every good one is
delivered, and pgb exits 0 with nothing left in the subscription."""

from __future__ import annotations

import io
import random
from pathlib import Path

import fastavro
import orjson

from pittgoogle_cli.emulator import publish

from .conftest import Channel, run_pgb


def two_alerts_in_one_container(payload: bytes) -> bytes:
    reader = fastavro.reader(io.BytesIO(payload))
    record = next(reader)
    out = io.BytesIO()
    fastavro.writer(out, reader.writer_schema, [record, record])
    return out.getvalue()


def hostile(ztf: bytes) -> dict[str, bytes]:
    noise = bytearray(random.Random(20261202).randbytes(300))
    noise[0] = 0xFF  # no encoding pgb knows starts so
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    return {
        "random bytes": bytes(noise),
        "one zero byte": b"\x00",
        "truncated Avro": ztf[: len(ztf) // 3],
        "two records in one container": two_alerts_in_one_container(ztf),
        "a wrong magic byte": b"Obj\x02" + ztf[4:],
        "an unknown schema id": b"\x00" + (9999).to_bytes(4, "big") + b"\x02\x04",
        "a known id with no body": b"\x00" + (1000).to_bytes(4, "big"),
        "100,000-deep JSON": deep,
        "JSON that is not an object": b"[1, 2, 3]",
        "invalid UTF-8": b'{"objectId": "\xff\xfe"}',
    }


def test_hostile_messages_are_set_aside_and_good_ones_delivered(
    channel: Channel, ztf_payloads: list[bytes], tmp_path: Path
):
    bad = hostile(ztf_payloads[0])
    big = orjson.dumps({"objectId": "big", "blob": "x" * 9_000_000})  # a 9 MB message is fine
    good_ids = channel.publish([*ztf_payloads, big])
    odd = {"note": "\u202e rtl \u2728 \U0001d518 \U0001f52d", "kafka.topic": "ztf_\u00e9t\u00e9"}
    good_ids += publish(channel.host, channel.topic, [ztf_payloads[1]], odd)
    bad_ids = dict(zip(channel.publish(list(bad.values())), bad, strict=True))
    empty_id = publish(channel.host, channel.topic, [b""], {"why": "empty data"})[0]
    bad_ids[empty_id] = "empty data"

    folder = tmp_path / "dead"
    done = run_pgb(
        channel.host, "pull", channel.subscription_id, "--until-empty", "--envelope",
        "--cutouts", "drop", "--dead-letter", str(folder),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert sorted(line["messageId"] for line in lines) == sorted(good_ids)
    with_odd = next(line for line in lines if line["messageId"] == good_ids[-1])
    assert with_odd["attributes"] == odd  # kept exactly, whatever the characters

    kept = folder / channel.subscription_id
    assert sorted(p.stem for p in kept.glob("*.bin")) == sorted(bad_ids)
    for message_id, what in bad_ids.items():
        data = bad.get(what, b"")
        assert (kept / f"{message_id}.bin").read_bytes() == data, what
        reason = orjson.loads((kept / f"{message_id}.json").read_bytes())["error"]
        assert reason.startswith("DecodeError: "), (what, reason)
    assert f"{len(bad_ids)} dead-lettered".encode() in done.stderr
    assert channel.drain_ids() == []
