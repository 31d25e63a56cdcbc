"""Operation groups, pollers and pages of MLClient whose errors come out as `amlmagic.errors`.

    jobs = TranslatedOperations(ml_client.jobs)
    jobs.get("nope")                         # NotFoundError, not azure-core's ResourceNotFoundError
    for job in jobs.list(): ...              # a page that fails while iterating: translated too
    jobs.begin_cancel("x").result()          # the poller's result()/wait() translate as well

Every public method of the wrapped group is forwarded unchanged (same arguments, same entities);
only its exceptions change. Errors that surface late (ItemPaged fetches pages while it is iterated,
a poller fails in result()) are translated where they surface.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, Callable

from .errors import translating

__all__ = ["TranslatedOperations", "TranslatedPoller", "TranslatedPages", "translated_call", "translate_result"]


class TranslatedPages:
    """An iterator (ItemPaged, a generator) whose errors are translated as it is iterated."""

    def __init__(self, inner: Iterator):
        self._inner = inner

    def __iter__(self) -> TranslatedPages:
        return self

    def __next__(self) -> Any:
        with translating():
            return next(self._inner)

    def by_page(self, *args: Any, **kwargs: Any) -> TranslatedPages:
        with translating():
            pages = self._inner.by_page(*args, **kwargs)
        return TranslatedPages(map(TranslatedPages, pages))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class TranslatedPoller:
    """An LROPoller whose result()/wait() raise `amlmagic.errors` types."""

    def __init__(self, inner: Any):
        self._inner = inner

    def result(self, timeout: float | None = None) -> Any:
        with translating():
            return self._inner.result(timeout=timeout)

    def wait(self, timeout: float | None = None) -> None:
        with translating():
            self._inner.wait(timeout=timeout)

    def done(self) -> bool:
        return self._inner.done()

    def status(self) -> str:
        with translating():
            return self._inner.status()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _is_poller(value: Any) -> bool:
    return all(callable(getattr(value, m, None)) for m in ("result", "wait", "done", "status"))


def translate_result(value: Any) -> Any:
    """Wrap what a method returned where errors can still surface later (poller, pages)."""
    if isinstance(value, (TranslatedPoller, TranslatedPages)):
        return value
    if _is_poller(value):
        return TranslatedPoller(value)
    if isinstance(value, Iterator) and not isinstance(value, (str, bytes)):
        return TranslatedPages(value)
    return value


def translated_call(method: Callable) -> Callable:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with translating():
            return translate_result(method(*args, **kwargs))

    return call


class TranslatedOperations:
    """One of MLClient's operation groups, forwarded unchanged but for its errors.

    Subclasses add the interface's extras; `self.inner` is the wrapped group."""

    def __init__(self, inner: Any):
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if callable(attribute) and not name.startswith("_") and not isinstance(attribute, type):
            return translated_call(attribute)
        return attribute

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(self.inner)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.inner).__name__})"
