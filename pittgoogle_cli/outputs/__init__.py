"""Where alerts go: the ``Sink`` contract and stdout (``base``), JSON lines, gzip,
SQLite, Avro files, Parquet, cutout files, and the dead-letter folder; each durable before
its alerts are acked. May import ``shapes`` and ``packets``."""
