"""``python -m bench.decode_rate``: alerts/s of pgb's decode -> filter -> render path, in
process, for ZTF (Avro containers) and LSST (Confluent wire format) packets, with and
without a ``--where`` filter. No emulator: this is the CPU cost per alert."""

from __future__ import annotations

import time
from pathlib import Path

import anyio

from pittgoogle_cli.filters.base import Filter, apply_filters
from pittgoogle_cli.filters.where import where_filter
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.render import render_line

DATA = Path(__file__).parent.parent / "tests" / "data"
N = 2000


async def _rate(payloads: list[bytes], filters: list[Filter]) -> tuple[float, int]:
    decoder, kept = Decoder(), 0
    start = time.perf_counter()
    for i in range(N):
        data = payloads[i % len(payloads)]
        record, info = decoder.decode(data)
        alert = await apply_filters(Alert(record, data=data, schema=info), filters)
        if alert is not None:
            render_line(alert.record)
            kept += 1
    return N / (time.perf_counter() - start), kept


def main() -> None:
    ztf = [p.read_bytes() for p in sorted((DATA / "ztf").glob("*.avro"))]
    lsst = [p.read_bytes() for p in sorted((DATA / "lsst").glob("lsst.v*_?.avro"))]
    cases = [
        ("ZTF", ztf, "candidate.magpsf < 18 and candidate.drb > 0.9"),
        ("LSST wire", lsst, "diaSource.psfFlux > 1000 and diaSource.snr > 5"),
    ]
    print(f"{'packets':10s} {'filter':6s} {'alerts/s':>9s}  kept (best of 3, {N} alerts)")
    for name, payloads, expression in cases:
        for filters in ([], [where_filter(expression)]):
            rate, kept = max(anyio.run(_rate, payloads, filters) for _ in range(3))
            label = "--where" if filters else "none"
            print(f"{name:10s} {label:6s} {rate:9.0f}  {kept}")


if __name__ == "__main__":
    main()
