"""Azure's and azure-ai-ml's exceptions as `amlmagic.errors`, translated once, here.

    with translating():
        ml_client.models.get("nope", version="1")   # raises amlmagic.errors.NotFoundError

azure-core's HttpResponseError carries the ARM error body ({"error": {"code", "message", "target",
"details": [...]}}); azure-ai-ml's own exceptions (MlException and subclasses) carry `.message`.
The status decides the type: 404 NotFoundError, 400/422 ValidationError (naming the fields the
body names), 409 AlreadyExistsError, 401/403 AuthError, 429 ThrottledError, 5xx ServiceError,
anything else BackendError. The message is `explain_azure_error`'s one line.

Nothing here imports azure at module import: the exception classes are looked up only when an
error is being translated (by then azure-ai-ml is loaded).
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from typing import Iterator

from ..errors import (
    AlreadyExistsError,
    AmlMagicError,
    AuthError,
    BackendError,
    NotFoundError,
    ServiceError,
    ThrottledError,
    ValidationError,
)

__all__ = ["explain_azure_error", "translate_azure_error", "translating"]

_MAX_LEN = 400
# Json.NET's deserializer names the offending member as "Path 'assetVersion', line 1, ..."
_JSON_PATH = re.compile(r"\bPath '([^']+)'")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # azure-ai-ml colors its validation reports
_BY_STATUS = {404: NotFoundError, 400: ValidationError, 422: ValidationError, 409: AlreadyExistsError,
              401: AuthError, 403: AuthError, 429: ThrottledError}


def _one_line(text: str) -> str:
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= _MAX_LEN else text[: _MAX_LEN - 1] + "…"


def _error_body(exc) -> dict:
    response = getattr(exc, "response", None)
    if response is None:
        return {}
    try:
        body = json.loads(response.text())
    except Exception:  # not JSON, or no body (HEAD)
        return {}
    return body.get("error", body) if isinstance(body, dict) else {}


def _status(exc) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None and getattr(exc, "response", None) is not None:
        status = getattr(exc.response, "status_code", None)
    return status


def _fields(body: dict) -> list[str]:
    """The fields an error body names: its and its details' `target`, else Json.NET's `Path '...'`."""
    found: list[str] = []
    for item in [body, *[d for d in body.get("details") or [] if isinstance(d, dict)]]:
        candidates = [item.get("target")] + _JSON_PATH.findall(str(item.get("message") or ""))
        found += [str(c) for c in candidates if c and str(c) not in found]
    return found


def explain_azure_error(exc: BaseException) -> str:
    """One line for any error out of MLClient: "Azure answered 404 UserError: ... (detail)"."""
    if isinstance(exc, AmlMagicError):
        return str(exc)
    status = _status(exc)
    body = _error_body(exc)
    code = body.get("code") or getattr(getattr(exc, "error", None), "code", None) or ""
    message = body.get("message") or getattr(getattr(exc, "error", None), "message", None)
    failed = _failed_run_message(exc)
    if not message and failed:
        message = failed
    report = _sdk_report_details(exc)
    if not message and report:
        message = "Invalid fields: " + "; ".join(report)
    if not message:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        message = _ANSI.sub("", str(message)).strip()
        message = message.splitlines()[0] if message else type(exc).__name__
    details = [d.get("message") for d in body.get("details") or [] if isinstance(d, dict) and d.get("message")]
    detail = f" ({details[0]})" if details and details[0] not in message else ""
    if status is not None:
        head = f"Azure answered {status}{' ' + code if code else ''}: "
    else:
        head = f"{type(exc).__name__}: " if type(exc).__module__.startswith("azure") else ""
    return _one_line(f"{head}{message}{detail}")


def _sdk_report_details(exc: BaseException) -> list[str]:
    """The "(x) ..." lines of azure-ai-ml's validation report ("One or more fields are invalid /
    Details: (x) Unknown DataType bogus / Resolutions: ..."), [] for any other error."""
    text = _ANSI.sub("", str(getattr(exc, "message", "") or ""))
    if "One or more fields" not in text or "Details:" not in text:
        return []
    details = text.split("Details:", 1)[1].split("Resolutions:", 1)[0]
    return [line.strip()[3:].strip() for line in details.splitlines() if line.strip().startswith("(x)")]


def _failed_run_message(exc: BaseException) -> str | None:
    """The run's own error of azure-ai-ml's JobException for a failed job ("Exception : \n {json}")."""
    text = str(getattr(exc, "message", "") or "")
    if not text.startswith("Exception :"):
        return None
    try:
        error = json.loads(text[len("Exception :"):])
    except ValueError:
        return None
    while isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]
    message = error.get("message") if isinstance(error, dict) else None
    return f"the job failed: {message}" if message else None


def _sdk_error_type(exc: BaseException) -> type[AmlMagicError] | None:
    """The type of an error azure-ai-ml raised before (or instead of) asking Azure."""
    ml_exceptions = sys.modules.get("azure.ai.ml.exceptions")
    if ml_exceptions is not None:
        if isinstance(exc, ml_exceptions.ValidationException):
            not_found = ml_exceptions.ValidationErrorType.RESOURCE_NOT_FOUND
            return NotFoundError if getattr(exc, "error_type", None) == not_found else ValidationError
        if isinstance(exc, (ml_exceptions.EmptyDirectoryError, ml_exceptions.UserErrorException)):
            return ValidationError
    if _sdk_report_details(exc):
        return ValidationError
    marshmallow = sys.modules.get("marshmallow.exceptions")
    if marshmallow is not None and isinstance(exc, marshmallow.ValidationError):
        return ValidationError
    if isinstance(exc, FileNotFoundError):  # a local path given for code, data or a model
        return ValidationError
    return None


def _core_error_type(exc: BaseException) -> type[AmlMagicError] | None:
    core = sys.modules.get("azure.core.exceptions")
    if core is None:
        return None
    if isinstance(exc, core.ClientAuthenticationError):
        return AuthError
    if isinstance(exc, core.ResourceNotFoundError):
        return NotFoundError
    if isinstance(exc, core.ResourceExistsError):
        return AlreadyExistsError
    return None


def _validation_cause(exc: BaseException) -> BaseException:
    """azure-ai-ml's log_and_raise_error turns a validation error into a bare MlException whose
    message is a multi-line colored report; the validation error it replaced is its context."""
    ml_exceptions = sys.modules.get("azure.ai.ml.exceptions")
    context = exc.__context__
    if ml_exceptions is None or type(exc) is not ml_exceptions.MlException or context is None:
        return exc
    return context if _sdk_error_type(context) in (ValidationError, NotFoundError) else exc


def translate_azure_error(exc: BaseException) -> AmlMagicError:
    """The `amlmagic.errors` exception for `exc` (itself when it already is one)."""
    if isinstance(exc, AmlMagicError):
        return exc
    exc = _validation_cause(exc)
    status = _status(exc)
    kind = _BY_STATUS.get(status) if status is not None else None
    if kind is None and status is not None and status >= 500:
        kind = ServiceError
    kind = kind or _core_error_type(exc) or _sdk_error_type(exc) or BackendError
    message = explain_azure_error(exc)
    fields = _fields(_error_body(exc)) if kind is ValidationError else []
    if not fields and kind is ValidationError:
        messages = getattr(exc, "messages", None)  # marshmallow: {field: [problems]}
        fields = [str(k) for k in messages] if isinstance(messages, dict) else []
    if fields and not all(f in message for f in fields):
        message = _one_line(f"{message} [fields: {', '.join(fields)}]")
    error = kind(message)
    error.fields = fields  # the fields a ValidationError names ([] when Azure names none)
    return error


@contextmanager
def translating() -> Iterator[None]:
    """Raise `amlmagic.errors` types for whatever the block raises (the original is chained)."""
    try:
        yield
    except (AmlMagicError, StopIteration):  # StopIteration ends a page iterator: not an error
        raise
    except Exception as exc:
        raise translate_azure_error(exc) from exc
