"""The audit trail: every change made to a workspace through the client (a magic, a widget or
Python code) appended to an activity log, with when, who, what and before/after for updates;
secrets masked. Both backends' clients build an `ActivityRecorder` (their `activity` group) and
`audit_group` their operation groups. Imports nothing heavy and no backend.
"""

from __future__ import annotations

from .identity import principal_from_entity, principal_from_token
from .location import azure_log_path, local_log_path, replay_log_path
from .log import ActivityLog, parse_time
from .recorder import VERBS, ActivityRecorder, audit_group
from .redact import MASK, redact

__all__ = [
    "ActivityLog", "ActivityRecorder", "audit_group", "VERBS", "redact", "MASK", "parse_time",
    "principal_from_token", "principal_from_entity", "local_log_path", "azure_log_path", "replay_log_path",
]
