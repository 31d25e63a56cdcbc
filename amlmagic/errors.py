"""The exception tree. Every error a user can cause is an `AmlMagicError` with a one-line
message that says what to do; the magics show it without a traceback.

    AmlMagicError
    ├── UsageError          bad noun, verb, flag or value in a magic line
    ├── ValidationError     a YAML or entity field is wrong (names the field)
    ├── NotFoundError       an asset, job, compute, endpoint ... does not exist
    ├── AlreadyExistsError  a version or name that cannot be overwritten (Azure: 409 Conflict)
    ├── UnsupportedError    this backend cannot do it (the message says what to do instead)
    └── BackendError        the backend failed (Azure answered an error, a process died)
        ├── AuthError           not signed in, or not allowed (Azure: 401, 403)
        ├── ThrottledError      too many requests (Azure: 429); try again later
        ├── ServiceError        the service failed (Azure: 5xx)
        ├── ReplayMismatchError a replayed request matched no recording
        └── DamagedStateError   a local state file is empty or not JSON (names the file)

    DamagedStateWarning     a list skipped a damaged entry (the magics show it as one line)

Every backend raises these, and only these, for what goes wrong on its side: Azure's and
azure-ai-ml's exceptions are translated once, in the Azure adapter (amlmagic/backends/).
"""

from __future__ import annotations

__all__ = [
    "AmlMagicError",
    "UsageError",
    "ValidationError",
    "NotFoundError",
    "AlreadyExistsError",
    "UnsupportedError",
    "BackendError",
    "AuthError",
    "ThrottledError",
    "ServiceError",
    "ReplayMismatchError",
    "DamagedStateError",
    "DamagedStateWarning",
]


class AmlMagicError(Exception):
    """Base of every error amlmagic raises on purpose. Its message is one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class UsageError(AmlMagicError):
    """A magic line that does not parse: unknown noun, verb or flag, a missing value."""


class ValidationError(AmlMagicError):
    """A field of a YAML file or an entity is invalid."""


class NotFoundError(AmlMagicError):
    """The named thing does not exist in the workspace."""


class AlreadyExistsError(AmlMagicError):
    """The name or version exists and cannot be overwritten."""


class UnsupportedError(AmlMagicError):
    """The backend cannot do this at all (not a failure: a limit of the backend)."""


class BackendError(AmlMagicError):
    """The backend could not do what was asked."""


class AuthError(BackendError):
    """Not signed in, or the identity may not do this."""


class ThrottledError(BackendError):
    """The service asks to slow down; the same call may succeed later."""


class ServiceError(BackendError):
    """The service failed on its side."""


class ReplayMismatchError(BackendError):
    """A request made during replay matches no recorded entry."""


class DamagedStateError(BackendError):
    """A state file of the local workspace cannot be read (empty, cut short, not JSON); the
    message names the file and what to do about it."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


class DamagedStateWarning(UserWarning):
    """A list left out an entry whose state file is damaged (its text is the DamagedStateError's):
    the healthy entries are still listed."""
