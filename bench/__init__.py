"""``make bench``: pgb's pull path against Google's own client, on the local emulator.

``python -m bench`` starts Google's Pub/Sub emulator, warms it up, then for each
contender publishes N real ZTF alerts to a fresh subscription and times the consumer
draining them as a separate process (wall time, time to the last line written, peak RSS,
CPU); it also runs in-process microbenchmarks of the decode/render and reply-parse steps,
prints a table and writes ``.bench/results.json``. See ``python -m bench --help``.
"""
