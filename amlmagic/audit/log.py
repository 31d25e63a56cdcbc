"""The activity log file: JSON lines, appended, never rewritten.

    log = ActivityLog(Path(".amlmagic/activity.jsonl"))
    log.append({"at": "...", "who": "ada", "verb": "create", "kind": "model", "name": "m", ...})
    log.read(name="m", since=datetime(...), max_results=20)     # newest first

Each line is written with one `write` on a descriptor opened with O_APPEND, under an exclusive
`flock` of the file, so lines from several processes never interleave nor overwrite each other;
the data is fsynced after the lock is released (concurrent writers share the disk flush). A
line cut short by a crash is skipped by the reader, never repaired in place; the next line
starts on a line of its own.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["ActivityLog", "FIELDS", "parse_time"]

# The fields of a line, in display order (`before`/`after` only for updates).
FIELDS = ("at", "who", "verb", "kind", "name", "version", "endpoint", "backend", "before", "after", "details")


def parse_time(text: str) -> _dt.datetime:
    """An ISO time as an aware UTC datetime (naive times are taken as UTC)."""
    value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


class ActivityLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, entry: dict[str, Any]) -> None:
        """Add one line (the entry, already redacted), atomically with respect to other writers."""
        data = (json.dumps({k: v for k, v in entry.items() if v not in (None, {}, [])}, default=str,
                           ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn line (a crash mid-write): ours starts anew
                    data = b"\n" + data
                view = memoryview(data)
                while view:  # a regular file takes it in one write; a short write continues in place
                    view = view[os.write(fd, view):]
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        """Every whole line, oldest first (a torn last line, from a crash mid-write, is left out)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        found = []
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
        return found

    def read(self, *, name: str | None = None, since: _dt.datetime | None = None,
             max_results: int | None = None) -> list[dict[str, Any]]:
        """The entries for `name` (an asset, job, endpoint or deployment) at or after `since`,
        newest first, at most `max_results`."""
        chosen = []
        for entry in reversed(self.entries()):
            if name is not None and name not in (entry.get("name"), entry.get("endpoint")):
                continue
            if since is not None:
                try:
                    if parse_time(str(entry.get("at"))) < since:
                        continue
                except ValueError:
                    continue
            chosen.append(entry)
            if max_results is not None and len(chosen) >= max_results:
                break
        return chosen
