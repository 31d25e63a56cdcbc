"""A daemon thread that calls `tick()` every `interval` seconds until it returns False (the job
reached a terminal state) or `stop()` is called. Ticks are batched: each one gathers what is
new since the last and sends it at once."""

from __future__ import annotations

import threading
from typing import Callable

__all__ = ["Poller"]


class Poller:
    def __init__(self, tick: Callable[[], bool], interval: float = 0.2, name: str = "amlmagic-poller"):
        self._tick = tick
        self.interval = interval
        self._stop = threading.Event()
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "Poller":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._tick():
                    break
                self._stop.wait(self.interval)
        except BaseException as exc:  # keep it for the owner to show; a poller must not die silently
            self.error = exc
        finally:
            self.finished.set()

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def stop(self) -> None:
        self._stop.set()
