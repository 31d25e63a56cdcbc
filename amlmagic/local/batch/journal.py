"""A batch job's journal: one JSON line per settled mini-batch (its id, the output file's length
once its rows were written, the counters then), appended after the rows. A driver started again
after the previous one died (revival, `__init__.py`) skips the settled mini-batches, cuts off
whatever the dead one wrote past the last settled mini-batch, and goes on from the counters: no
row is lost or written twice.

Our rule: this holds when the driver process dies (killed, out of memory); the journal and the
output are not fsynced per mini-batch (8 ms each here, against the 2 ms budget), so a power cut
may redo a mini-batch whose rows then appear once more (docs/batch.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Journal", "Resume"]


@dataclass
class Resume:
    settled: set = field(default_factory=set)
    offset: int = 0  # the output file's length after the last settled mini-batch
    counters: dict = field(default_factory=dict)


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = None

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        """Made before the output file, so a started job is known as one when revived."""
        self.path.touch(exist_ok=False)

    def load(self) -> Resume:
        resume = Resume()
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:  # a line cut short by the death of the driver writing it
                    break
                resume.settled.add(entry["id"])
                resume.offset, resume.counters = entry["offset"], entry["counters"]
        return resume

    def append(self, mini_batch: int, offset: int, counters: dict) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write(json.dumps({"id": mini_batch, "offset": offset, "counters": counters}) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
