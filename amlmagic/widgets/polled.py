"""What the job and sweep monitors share: the job they follow, a poller that stops at a terminal
status, waiting, stopping, and the cancel action."""

from __future__ import annotations

from typing import Any

import traitlets as t

from .actions import aml_line
from .base import AmlWidget
from .poller import Poller

__all__ = ["PolledJobWidget", "cancel_job"]


def cancel_job(client: Any, name: str) -> None:
    ops = client.jobs
    if hasattr(ops, "begin_cancel"):
        poller = ops.begin_cancel(name)
        if hasattr(poller, "wait"):
            poller.wait()
    else:
        ops.cancel(name)


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
        self._prepare()
        self._poller = Poller(self.poll, interval, name=f"amlmagic-{self._kind}-{job_name}")
        self.refresh_status()
        if start:
            self._poller.start()

    def _prepare(self) -> None:
        pass

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
        cancel_job(self.client, self.job_name)
        self._did(aml_line("job", "cancel", n=self.job_name))
        self.refresh_status()
