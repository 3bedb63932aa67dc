"""What a written line holds (``shape``: --lite, --fields, --cutouts, --format tom,
--envelope), JSON rendering (``render``), TOM's alert (``tom``), safe file names. Pure;
may import ``packets``."""
