"""Read a job's metrics, params and tags straight from MLflow's file-store files.

A metric file holds one line per logged point, appended in logged order:
`<timestamp_ms> <value> <step>[ <dataset name> <dataset digest>]`. MetricsReader remembers a byte
offset per file, so each `read_new()` costs a folder walk plus reading only what was appended
(live charts poll it every ~200 ms). A writer may be mid-append: only complete lines are taken,
and the rest is picked up on the next read.
"""

from __future__ import annotations

import os
from pathlib import Path

from amlmagic.local.tracking.layout import find_run_dir, require_run_dir, walk_keys

__all__ = ["MetricsReader", "read_metrics", "read_params", "read_tags", "Points"]

Points = dict[str, list[tuple[int, int, float]]]


def _parse_lines(chunk: bytes) -> list[tuple[int, int, float]]:
    points = []
    for line in chunk.split(b"\n"):
        fields = line.split()
        if len(fields) < 2:
            continue  # blank line
        try:
            timestamp, value = int(fields[0]), float(fields[1])
            step = int(fields[2]) if len(fields) > 2 else 0  # old MLflow wrote no step
        except ValueError:
            continue  # not a metric line: skip it rather than lose the rest
        points.append((step, timestamp, value))
    return points


class MetricsReader:
    """Incremental reader of one job's metric points; the job's run may not exist yet.
    One reader per poller: it keeps per-file offsets and is not thread-safe."""

    def __init__(self, workspace_dir: Path, job_name: str):
        self.workspace_dir = Path(workspace_dir)
        self.job_name = job_name
        self._metrics_dir: str | None = None
        self._offsets: dict[str, int] = {}

    def _find_metrics_dir(self) -> str | None:
        if self._metrics_dir is None:
            run_dir = find_run_dir(self.workspace_dir, self.job_name)
            if run_dir is not None:
                self._metrics_dir = str(run_dir / "metrics")
        return self._metrics_dir

    def read_new(self) -> Points:
        """metric -> [(step, timestamp_ms, value)] logged since the last call (the first call
        returns everything so far); metrics with nothing new are left out."""
        metrics_dir = self._find_metrics_dir()
        if metrics_dir is None:
            return {}
        new: Points = {}
        for key, path in walk_keys(Path(metrics_dir)):
            offset = self._offsets.get(path, 0)
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                continue
            if size < offset:
                offset = 0  # the file was replaced (a run recreated under the same name)
            if size == offset:
                continue
            with open(path, "rb") as f:
                f.seek(offset)
                chunk = f.read(size - offset)
            end = chunk.rfind(b"\n") + 1  # complete lines only; a torn last line waits
            if end == 0:
                continue
            self._offsets[path] = offset + end
            points = _parse_lines(chunk[:end])
            if points:
                new[key] = points
        return new


def read_metrics(workspace_dir: Path, job_name: str) -> Points:
    """Every metric point of the job so far."""
    require_run_dir(workspace_dir, job_name)
    return MetricsReader(workspace_dir, job_name).read_new()


def _read_values(run_dir: Path, folder: str) -> dict[str, str]:
    values = {}
    for key, path in walk_keys(run_dir / folder):
        try:
            with open(path, encoding="utf-8") as f:
                values[key] = f.read()
        except FileNotFoundError:
            continue
    return dict(sorted(values.items()))


def read_params(workspace_dir: Path, job_name: str) -> dict[str, str]:
    return _read_values(require_run_dir(workspace_dir, job_name), "params")


def read_tags(workspace_dir: Path, job_name: str) -> dict[str, str]:
    return _read_values(require_run_dir(workspace_dir, job_name), "tags")
