"""Job statuses (../shared/azureml-semantics.md, "Job status")."""

from __future__ import annotations

from typing import Any

__all__ = ["STATUSES", "TERMINAL_STATUSES", "is_terminal", "status_text"]

STATUSES = (
    "NotStarted", "Queued", "Preparing", "Provisioning", "Starting", "Running", "Finalizing",
    "CancelRequested", "Completed", "Failed", "Canceled", "NotResponding", "Paused",
)
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Canceled", "NotResponding", "Paused"})


def status_text(entity_or_status: Any) -> str:
    """A job's status as a plain string (azure-ai-ml hands out str enums; an entity has `.status`)."""
    status = getattr(entity_or_status, "status", entity_or_status)
    return str(getattr(status, "value", status) or "")


def is_terminal(entity_or_status: Any) -> bool:
    return status_text(entity_or_status) in TERMINAL_STATUSES
