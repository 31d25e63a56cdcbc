"""A pipeline's steps on Azure: child runs that run history holds, not MFE jobs.

azure-ai-ml reads a step (`jobs.get`) from run history as a `_BaseJob` (type "base") and refuses
to stream one (`PipelineChildJobError`: "az ml job parse is not supported on pipeline child job").
The interface streams any job, as the local backend does a step's: `stream_step` follows the
step's `user_logs/std_log.txt` through `jobs.read_log` (run history's log files) until the step
ends, printing what MLClient's stream prints.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ..errors import BackendError
from ..rules import is_terminal, status_text
from .errors import translating

__all__ = ["is_step", "stream_step"]

_MAX_POLL_SECONDS = 10.0


def is_step(job: Any) -> bool:
    """A pipeline's step (a run history child job), as azure-ai-ml returns it."""
    return str(getattr(job, "type", "")) == "base"


def stream_step(jobs: Any, job: Any, poll_interval: float, out: TextIO | None = None) -> None:
    """Print the step's log as it grows until the step ends, then its summary; BackendError when
    it Failed (as MLClient's stream fails)."""
    out = out or sys.stdout
    name = job.name
    studio = getattr((job.services or {}).get("Studio"), "endpoint", None)
    header = "Streaming user_logs/std_log.txt"
    out.write(f"RunId: {name}\nWeb View: {studio}\n\n{header}\n{'=' * len(header)}\n\n")
    offset, delay = 0, poll_interval
    while True:
        text, offset = jobs.read_log(name, offset)
        out.write(text)
        if is_terminal(job):  # the log was read once more after the step ended: all of it
            break
        time.sleep(delay)
        delay = min(delay * 1.5, _MAX_POLL_SECONDS)
        job = jobs.get(name)
    status = status_text(job)
    out.write(f"\nExecution Summary\n=================\nRunId: {name}\nWeb View: {studio}\nStatus: {status}\n")
    getattr(out, "flush", lambda: None)()
    if status == "Failed":
        raise BackendError(f"step {job.display_name} ({name}) Failed: {_run_error(jobs, name)}")


def _run_error(jobs: Any, name: str) -> str:
    """Run history's error of a failed run, as MLClient's stream reports it (one line)."""
    with translating():
        details = jobs.inner._runs_operations.get_run_details(name)
    message = getattr(getattr(details.error, "error", None), "message", None)
    return " ".join(str(message).split()) if message else "no error recorded: see its log above"
