"""Metric series kept on the Python side of a chart, and the incremental messages that carry
only new points to the views (Float64 buffers; see js/src/series.js for the other end)."""

from __future__ import annotations

import time
from array import array
from typing import Iterable

__all__ = ["MetricSeries", "SeriesStore", "points_message"]


class MetricSeries:
    """One metric's points in logged order: steps, values and log timestamps (ms)."""

    __slots__ = ("steps", "values", "timestamps")

    def __init__(self):
        self.steps = array("d")
        self.values = array("d")
        self.timestamps = array("d")

    def __len__(self) -> int:
        return len(self.values)

    def best(self, goal: str) -> float | None:
        if not self.values:
            return None
        return min(self.values) if str(goal).lower() == "minimize" else max(self.values)

    def last(self) -> float | None:
        return self.values[-1] if self.values else None


def points_message(chunks: list[tuple[str, int, array, array]], reset: bool) -> tuple[dict, list]:
    """(name, start, steps, values) chunks -> (content, buffers) of one `points` message."""
    content = {"type": "points", "reset": reset,
               "metrics": [{"name": n, "start": start, "n": len(v)} for n, start, _, v in chunks]}
    buffers: list = []
    for _, _, steps, values in chunks:
        buffers += [memoryview(steps.tobytes()), memoryview(values.tobytes())]
    return content, buffers


class SeriesStore:
    """Named series plus the wall time each batch arrived (for the latency benchmark)."""

    def __init__(self):
        self.series: dict[str, MetricSeries] = {}
        self.arrivals: list[tuple[float, list[float]]] = []  # (arrival ms, log timestamps ms)
        self.keep_arrivals = False

    def names(self) -> list[str]:
        return list(self.series)

    def add(self, new: dict[str, Iterable[tuple[int, int, float]]]) -> list[tuple[str, int, array, array]]:
        """Append `{name: [(step, timestamp_ms, value)]}`; return the chunks to send."""
        chunks = []
        now_ms = time.time() * 1000
        for name, points in new.items():
            points = list(points)
            if not points:
                continue
            s = self.series.setdefault(name, MetricSeries())
            start = len(s)
            steps = array("d", (p[0] for p in points))
            values = array("d", (p[2] for p in points))
            s.steps.extend(steps)
            s.values.extend(values)
            s.timestamps.extend(float(p[1]) for p in points)
            if self.keep_arrivals:
                self.arrivals.append((now_ms, [float(p[1]) for p in points]))
            chunks.append((name, start, steps, values))
        return chunks

    def snapshot(self) -> list[tuple[str, int, array, array]]:
        return [(n, 0, s.steps, s.values) for n, s in self.series.items()]
