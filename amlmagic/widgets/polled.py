"""What the job and sweep monitors share: the job they follow, a poller that stops at a terminal
status, waiting, stopping, and the cancel action."""

from __future__ import annotations

import time
from typing import Any

import traitlets as t

from ..errors import AmlMagicError, ServiceError, ThrottledError
from ..rules import is_terminal, status_text
from .base import AmlWidget
from .poller import Poller
from .sources import job_times_ms

__all__ = ["PolledJobWidget"]


class PolledJobWidget(AmlWidget):
    """Subclasses implement `_prepare()` (state before the first refresh), `refresh_status()`
    and `poll() -> bool` (False stops polling)."""

    job_name = t.Unicode("").tag(sync=True)
    display_name = t.Unicode("").tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    started_at_ms = t.Float(0).tag(sync=True)
    ended_at_ms = t.Float(0).tag(sync=True)

    def __init__(self, client: Any, job_name: str, interval: float, start: bool = True, **kwargs: Any):
        super().__init__(job_name=job_name, **kwargs)
        self.client = client
        self._poll_error = ""
        self._prepare()
        self._poller = Poller(self._tick, interval, name=f"amlmagic-{self._kind}-{job_name}")
        self.refresh_status()
        if start:
            self._poller.start()

    def _prepare(self) -> None:
        pass

    def _tick(self) -> bool:
        """One poll; a backend's error shows in the widget. Throttling or a service error may pass,
        so polling goes on; any other stops it (the widget keeps its last state)."""
        try:
            going = self.poll()
        except (ThrottledError, ServiceError) as exc:
            self.error = self._poll_error = str(exc)
            return True
        except AmlMagicError as exc:
            self.error = self._poll_error = str(exc)
            self.refresh_displays()
            return False
        if self._poll_error and self.error == self._poll_error:  # it passed: clear it (not an action's error)
            self.error = self._poll_error = ""
        return going

    def settle(self, timeout: float = 10.0) -> None:
        """Once the job has ended: let polling reach its final state; if polling stopped short
        (its thread died on an error, shown in the widget) or is still behind, poll once here, so
        every display ends showing the final state."""
        finished = self._poller.finished.wait(timeout) if self._poller.started else False
        if self._poller.error is not None:
            self.error = f"polling stopped: {type(self._poller.error).__name__}: {self._poller.error}"
        if not finished or not is_terminal(self.status):
            self.stop()
            self.poll()
            self.refresh_displays()

    def show_job(self, job: Any, **traits: Any) -> None:
        """Show the job's name, start, status and end (and `traits` of the subclass) in one sync."""
        start, end = job_times_ms(job)
        with self.hold_sync():
            self.display_name = getattr(job, "display_name", None) or ""
            for name, value in traits.items():
                setattr(self, name, value)
            if start:
                self.started_at_ms = start
            status = status_text(job)
            if is_terminal(status) and not self.ended_at_ms:
                self.ended_at_ms = end or time.time() * 1000
            self.status = status

    def refresh_status(self) -> Any:
        raise NotImplementedError

    def poll(self) -> bool:
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> bool:
        """Block until polling has stopped (the job ended); True if it did within `timeout`."""
        return self._poller.finished.wait(timeout)

    def stop(self) -> None:
        """Stop polling (the widget stays usable and displayable)."""
        self._poller.stop()

    def close(self) -> None:
        self._poller.stop()
        super().close()

    def do_cancel(self) -> None:
        self.client.jobs.begin_cancel(self.job_name).result()
        self._did("job", "cancel", None, n=self.job_name)
        self.refresh_status()
