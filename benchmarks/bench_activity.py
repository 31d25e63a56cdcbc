"""Cost of the audit trail: a change made through an audited group against the same change made
through the bare group (same workspace, same run), and the activity log's append throughput with
several writer processes against one.

    python benchmarks/bench_activity.py [--changes 200] [--lines 2000] [--writers 4] [--quick]

The change is a compute update (`begin_create_or_update` of an existing pool: a small state file
written atomically), the cheapest change the local backend makes, so the trail's share of it
(a `get` for the before, a diff, one fsynced line) is at its largest here.

--quick: 20 changes, 300 lines (CI).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amlmagic.local.client import LocalMLClient  # noqa: E402
from amlmagic.local.operations.compute import ComputeOperations  # noqa: E402

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from amlmagic.audit import ActivityLog
    log, n = ActivityLog(Path(sys.argv[1])), int(sys.argv[2])
    entry = {"at": "2026-01-01T00:00:00.000Z", "who": "bench", "verb": "update", "kind": "online-endpoint",
             "name": "ep", "before": {"traffic": {"blue": 100}}, "after": {"traffic": {"blue": 90, "green": 10}}}
    t = time.perf_counter()
    for i in range(n):
        log.append({**entry, "details": {"i": i, "w": sys.argv[3]}})
    print(time.perf_counter() - t)
""")


def time_changes(groups: list, n: int) -> list[float]:
    """Median ms per change of each group, their changes interleaved (the machine's load hits both alike)."""
    from azure.ai.ml.entities import AmlCompute

    times: list[list[float]] = [[] for _ in groups]
    for i in range(n):
        for group, found in zip(groups, times, strict=True):
            t = time.perf_counter()
            group.begin_create_or_update(AmlCompute(name="pool", max_instances=2 + i % 2)).result()
            found.append(time.perf_counter() - t)
    return [statistics.median(found) * 1e3 for found in times]


def appends(folder: Path, writers: int, lines: int) -> float:
    """Lines per second, all writers together."""
    path = folder / f"activity-{writers}.jsonl"
    repo = str(Path(__file__).resolve().parents[1])
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(lines // writers), str(w), repo],
                              stdout=subprocess.PIPE) for w in range(writers)]
    for proc in procs:
        proc.communicate()
    elapsed = time.perf_counter() - t
    assert len(path.read_bytes().splitlines()) == lines // writers * writers
    return lines // writers * writers / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.changes, args.lines = 20, 300
    with tempfile.TemporaryDirectory() as tmp:
        client = LocalMLClient(Path(tmp) / "ws")
        from azure.ai.ml.entities import AmlCompute

        bare = ComputeOperations(client.workspace)  # the same workspace's group, not audited
        client.compute.begin_create_or_update(AmlCompute(name="pool", max_instances=2)).result()
        base, audited = time_changes([bare, client.compute], args.changes)
        print(f"compute update, bare group (baseline): median {base:.2f} ms")
        print(f"compute update, audited group: median {audited:.2f} ms (ratio to baseline {audited / base:.2f}x)")
        one = appends(Path(tmp), 1, args.lines)
        many = appends(Path(tmp), args.writers, args.lines)
        print(f"activity log appends, 1 writer (baseline): {one:.0f} lines/s")
        print(f"activity log appends, {args.writers} writer processes: {many:.0f} lines/s "
              f"(ratio to baseline {many / one:.2f}x, no line lost)")


if __name__ == "__main__":
    main()
