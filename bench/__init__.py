"""``make bench``: pgb's pull path against the peers, on two servers.

``python -m bench`` starts Google's Pub/Sub emulator, warms it up, then for each
contender (pgb, google-cloud-pubsub over gRPC, gcloud-aio-pubsub over REST) publishes N
real ZTF alerts to a fresh subscription and times the consumer draining them as a separate
process (wall time, time to the first and last line written, peak RSS, CPU). Then the same
on the replay server (``bench.replay``: recorded-shape pull replies served at a small
fraction of the emulator's CPU) for the REST clients: pgb, gcloud-aio-pubsub and a
hand-written httpx loop. Then ``pgb decode`` of N files against its in-memory floor, round
by round (``bench.decode_pair``). It also runs in-process microbenchmarks of the
decode/render and reply-parse steps, prints the tables with pgb/peer ratios and the goals,
and writes ``.bench/results.json``. ``--only emulator|replay|decode`` runs one part; see
``--help``.

Each consumer runs under ``bench/tree.py``, so CPU and memory are its whole process tree's
(``pgb --workers N`` is pgb, a fork server and N workers), with the first process's CPU
beside it; ``--pgb-also=--workers=2`` adds pgb with those arguments as one more contender,
and ``python -m bench.workers`` compares ``pgb decode --workers N`` with no server at all.
"""
