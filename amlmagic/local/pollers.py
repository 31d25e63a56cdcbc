"""What the local `begin_*` methods return: azure-core's LROPoller shape (`result`, `wait`,
`done`)."""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["CompletedPoller", "WaitingPoller"]


class CompletedPoller:
    """The work was done before `begin_*` returned (the CLI waits too). A failed operation keeps
    its error for `result()`, as an LROPoller does."""

    def __init__(self, value: Any = None, error: Exception | None = None):
        self._value = value
        self._error = error

    def result(self, timeout: float | None = None) -> Any:
        if self._error is not None:
            raise self._error
        return self._value

    def status(self) -> str:
        return "Failed" if self._error is not None else "Succeeded"

    def done(self) -> bool:
        return True

    def wait(self, timeout: float | None = None) -> None:
        return None


class WaitingPoller:
    """Work that goes on after `begin_*` returned and has no result (a cancel: the job ends once
    its processes have stopped). `done()` asks `is_done`; `wait`/`result` block in `wait_for`."""

    def __init__(self, is_done: Callable[[], bool], wait_for: Callable[[float | None], Any]):
        self._is_done = is_done
        self._wait_for = wait_for

    def done(self) -> bool:
        return self._is_done()

    def wait(self, timeout: float | None = None) -> None:
        self._wait_for(timeout)

    def result(self, timeout: float | None = None) -> None:
        self.wait(timeout)
