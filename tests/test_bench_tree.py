"""bench/tree.py counts a consumer's whole process tree, as ``pgb --workers N`` is: the CPU
of a grandchild that outlives its parent (a forkserver's worker), and the memory of
processes alive at once, summed. ``wait4`` on the root alone misses both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TREE = Path(__file__).resolve().parent.parent / "bench" / "tree.py"

# The root starts a child and exits at once; the child holds 40 MB, starts a grandchild
# that holds 40 MB too, and both burn 0.3 s of CPU, outliving the root.
ROOT = """
import subprocess, sys
subprocess.Popen([sys.executable, sys.argv[1], "child"])
sys.exit(7)
"""
MEMBER = """
import os, sys, time
held = bytearray(40 << 20)
for i in range(0, len(held), 4096):
    held[i] = 1
if sys.argv[1] == "child":
    os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, sys.argv[0], "grandchild"])
while time.process_time() < 0.3:
    pass
time.sleep(0.3)
"""


def test_the_whole_tree_is_counted(tmp_path: Path):
    report, member = tmp_path / "tree.json", tmp_path / "member.py"
    member.write_text(MEMBER)
    done = subprocess.run(
        [sys.executable, "-S", str(TREE), "--report", str(report), "--", sys.executable, "-c",
         ROOT, str(member)], capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 7, done.stderr  # the root's exit status
    figures = json.loads(report.read_text())
    assert figures["orphans_killed"] == 0 and figures["tree_done_after_s"] > 0.2
    assert figures["cpu_s"] >= 0.6  # the child's and the grandchild's 0.3 s each
    assert figures["root_cpu_s"] < 0.3 and figures["root_wait4_cpu_s"] < 0.3
    assert figures["processes"] >= 2
    assert figures["largest_rss_kib"] < 70 << 10  # one process held ~50 MB
    assert figures["tree_rss_kib"] >= 80 << 10  # two at once: both counted
