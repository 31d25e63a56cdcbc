"""Azure errors as one line: status, code and message, without the traceback.

azure-core's HttpResponseError carries the ARM error body ({"error": {"code", "message",
"details": [...]}}); azure-ai-ml's own exceptions (MlException and subclasses) carry `.message`.
The magics show `explain_azure_error(exc)` instead of a traceback.
"""

from __future__ import annotations

import json

__all__ = ["explain_azure_error"]

_MAX_LEN = 400


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
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


def explain_azure_error(exc: BaseException) -> str:
    """One line for any error out of MLClient: "Azure answered 404 UserError: ... (detail)"."""
    from ..errors import AmlMagicError

    if isinstance(exc, AmlMagicError):
        return str(exc)
    status = _status(exc)
    body = _error_body(exc)
    code = body.get("code") or getattr(getattr(exc, "error", None), "code", None) or ""
    message = body.get("message") or getattr(getattr(exc, "error", None), "message", None)
    if not message:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        message = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    details = [d.get("message") for d in body.get("details") or [] if isinstance(d, dict) and d.get("message")]
    detail = f" ({details[0]})" if details and details[0] not in message else ""
    if status is not None:
        head = f"Azure answered {status}{' ' + code if code else ''}: "
    else:
        head = f"{type(exc).__name__}: " if type(exc).__module__.startswith("azure") else ""
    return _one_line(f"{head}{message}{detail}")
