"""The activity log file: several real processes append thousands of lines at once and none is
lost, cut or interleaved; what is written is never rewritten; a torn line is skipped."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from amlmagic.audit import ActivityLog

WRITER = """
import sys
from pathlib import Path
from amlmagic.audit import ActivityLog
log = ActivityLog(Path(sys.argv[1]))
writer, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    # every third line is longer than a pipe buffer (4 KiB): atomicity must not rely on PIPE_BUF
    log.append({"at": "2026-01-01T00:00:00Z", "who": writer, "verb": "create", "kind": "data",
                "name": f"{writer}-{i}", "details": {"pad": "x" * (5000 if i % 3 == 0 else i % 50)}})
"""


def test_concurrent_writers_from_several_processes_lose_no_line(tmp_path):
    path = tmp_path / "activity.jsonl"
    writers, per_writer = 6, 600
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}", str(per_writer)])
             for n in range(writers)]
    assert [p.wait(timeout=300) for p in procs] == [0] * writers
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every line ends with its newline
    entries = [json.loads(line) for line in lines[:-1]]  # each line is one whole JSON document
    assert len(entries) == writers * per_writer
    for n in range(writers):
        mine = [e["name"] for e in entries if e["who"] == f"w{n}"]
        assert mine == [f"w{n}-{i}" for i in range(per_writer)]  # all there, in each writer's order
    assert len(ActivityLog(path).entries()) == writers * per_writer


def test_appending_never_rewrites_what_is_there(tmp_path):
    log = ActivityLog(tmp_path / "activity.jsonl")
    log.append({"at": "2026-01-01T00:00:00Z", "verb": "create", "kind": "model", "name": "m", "version": "1"})
    first = log.path.read_bytes()
    inode = log.path.stat().st_ino
    log.append({"at": "2026-01-01T00:00:01Z", "verb": "create", "kind": "model", "name": "m", "version": "2"})
    assert log.path.read_bytes().startswith(first) and log.path.stat().st_ino == inode


def test_a_torn_last_line_is_skipped_and_the_next_append_starts_clean(tmp_path):
    log = ActivityLog(tmp_path / "activity.jsonl")
    log.append({"at": "2026-01-01T00:00:00Z", "verb": "create", "kind": "data", "name": "a"})
    with open(log.path, "ab") as f:  # a crash in the middle of a write
        f.write(b'{"at":"2026-01-01T00:00:01Z","verb":"cre')
    assert [e["name"] for e in log.entries()] == ["a"]
    log.append({"at": "2026-01-01T00:00:02Z", "verb": "create", "kind": "data", "name": "b"})
    assert [e["name"] for e in log.entries()] == ["a", "b"]  # not glued onto the fragment


def test_read_filters_by_name_time_and_count_newest_first(tmp_path):
    log = ActivityLog(tmp_path / "activity.jsonl")
    for i, name in enumerate(["m", "ep", "m", "blue"]):
        log.append({"at": f"2026-01-01T00:00:0{i}Z", "verb": "create", "kind": "x", "name": name,
                    "endpoint": "ep" if name == "blue" else None})
    assert [e["at"][-3:-1] for e in log.read(name="m")] == ["02", "00"]
    assert [e["name"] for e in log.read(name="ep")] == ["blue", "ep"]  # a deployment is its endpoint's too
    since = dt.datetime(2026, 1, 1, 0, 0, 2, tzinfo=dt.timezone.utc)
    assert [e["name"] for e in log.read(since=since)] == ["blue", "m"]
    assert [e["name"] for e in log.read(max_results=1)] == ["blue"]
    assert ActivityLog(tmp_path / "none.jsonl").read() == []
