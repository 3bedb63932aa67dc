"""The Avro folder: one file per alert, read back with fastavro as it is."""

from __future__ import annotations

import dataclasses
import io

import anyio
import fastavro
import pytest

from pittgoogle_cli import ConfigError, Decoder
from pittgoogle_cli.outputs.choose import open_sink
from pittgoogle_cli.packets import fields
from pittgoogle_cli.shapes.render import render_alert

from .samples import comparable, every_avro_alert, lvk_files, to_alerts, with_record


def write(folder, *batches):
    async def main():
        sink = open_sink(f"{folder}/", None, render_alert)
        for batch in batches:
            await sink.write(batch)
        await sink.aclose()

    anyio.run(main)


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def alerts():
    return every_avro_alert()


def path_of(folder, alert):
    return folder / str(fields.object_id(alert.record)) / f"{fields.candid(alert.record)}.avro"


def test_each_alert_is_a_file_fastavro_reads_as_the_alert(tmp_path, alerts):
    # the LSST samples of each version share ids, so each alert gets its own folder
    for n, alert in enumerate(alerts):
        write(tmp_path / str(n), [alert])
        with path_of(tmp_path / str(n), alert).open("rb") as handle:
            reader = fastavro.reader(handle)
            records = list(reader)
        assert comparable(records) == [comparable(alert.record)], alert.schema
        assert reader.writer_schema["name"] == alert.schema.name


def test_one_file_per_object_and_candid(tmp_path, alerts):
    write(tmp_path, alerts[:4], alerts[4:])
    assert files(tmp_path) == sorted(
        {path_of(tmp_path, a).relative_to(tmp_path).as_posix() for a in alerts}
    )


def test_containers_are_written_byte_for_byte(tmp_path, alerts):
    containers = [a for a in alerts if a.schema.encoding == "avro-container"]
    for n, alert in enumerate(containers):
        write(tmp_path / str(n), [alert])
        assert path_of(tmp_path / str(n), alert).read_bytes() == alert.data


def test_wire_format_records_keep_their_bytes(tmp_path, alerts):
    wire = [a for a in alerts if a.schema.encoding == "confluent-wire"]
    assert wire, "no LSST wire-format samples"
    for n, alert in enumerate(wire):
        write(tmp_path / str(n), [alert])
        data = path_of(tmp_path / str(n), alert).read_bytes()
        assert alert.data[5:] in data
        assert Decoder().decode(data)[0] == alert.record


def test_a_filter_changing_the_dict_does_not_change_the_file(tmp_path, alerts):
    changed = with_record(alerts[0], extra="added by a filter")
    write(tmp_path, [changed])
    [name] = files(tmp_path)
    assert (tmp_path / name).read_bytes() == alerts[0].data


@pytest.mark.parametrize("hostile", ["../../etc", "..", "a/../../b", "x\x00y", "/abs", "."])
def test_a_hostile_object_id_stays_inside_the_folder(tmp_path, alerts, hostile):
    folder = tmp_path / "out"
    write(folder, [with_record(alerts[0], objectId=hostile, candid=f"../{hostile}")])
    [written] = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written.resolve().is_relative_to(folder.resolve())
    assert written.parent.parent == folder
    assert not written.name.startswith(".") and "\x00" not in str(written)


def test_redelivery_rewrites_the_same_file(tmp_path, alerts):
    write(tmp_path, alerts[:3], alerts[:3])
    assert len(files(tmp_path)) == 3


def test_json_alerts_are_refused_before_anything_is_written(tmp_path, alerts):
    lvk = to_alerts(lvk_files())
    if not lvk:
        pytest.skip("no LVK sample")
    with pytest.raises(ConfigError, match="JSON, not Avro"):
        write(tmp_path, [alerts[0], *lvk])
    assert files(tmp_path) == []


def test_no_temporary_files_are_left(tmp_path, alerts):
    write(tmp_path, alerts)
    assert not [p for p in tmp_path.rglob(".*")]


def test_containers_also_read_with_a_plain_bytes_reader(tmp_path, alerts):
    write(tmp_path, alerts)
    for name in files(tmp_path):
        assert len(list(fastavro.reader(io.BytesIO((tmp_path / name).read_bytes())))) == 1


def test_an_alert_without_its_bytes_is_encoded_from_its_record(tmp_path, alerts):
    """``pgb decode`` of a file holding several alerts has no one message's bytes."""
    for n, alert in enumerate(a for a in alerts if a.schema.encoding != "json"):
        write(tmp_path / str(n), [dataclasses.replace(alert, data=b"")])
        [record] = list(fastavro.reader(io.BytesIO(path_of(tmp_path / str(n), alert).read_bytes())))
        assert comparable(record) == comparable(alert.record)
