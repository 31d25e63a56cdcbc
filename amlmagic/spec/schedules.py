"""Schedules <-> CLI v2 YAML dicts (the schedule YAML's fields), for the local store, `show`'s
next fire times and export.

    trigger_to_dict(schedule.trigger)   # {"type": "cron", "expression": ..., "time_zone": ...}
    schedule_to_yaml(schedule)          # the schedule YAML without create_job (the caller's part)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["trigger_to_dict", "schedule_to_yaml", "SCHEDULE_SCHEMA"]

SCHEDULE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/schedule.schema.json"


def _text(value: Any) -> Any:
    value = getattr(value, "value", value)  # azure-ai-ml's string enums (TimeZone, frequency)
    return value.isoformat() if isinstance(value, datetime) else value


def trigger_to_dict(trigger: Any) -> dict:
    """The trigger as the schedule YAML writes it."""
    if trigger is None:
        raise ValueError("trigger: give a cron or recurrence trigger (type: cron, expression: '0 * * * *')")
    out: dict[str, Any] = {"type": str(_text(getattr(trigger, "type", None)) or "").lower()}
    if getattr(trigger, "expression", None) is not None:
        out["expression"] = trigger.expression
    for key in ("frequency", "interval"):
        if getattr(trigger, key, None) is not None:
            out[key] = _text(getattr(trigger, key))
    pattern = getattr(trigger, "schedule", None)
    if pattern is not None:
        fields = {k: getattr(pattern, k, None) for k in ("hours", "minutes", "week_days", "month_days")}
        fields = {k: [_text(x) for x in v] if isinstance(v, list) else _text(v)
                  for k, v in fields.items() if v not in (None, [], ())}
        if fields:
            out["schedule"] = fields
    for key in ("start_time", "end_time", "time_zone"):
        if getattr(trigger, key, None) not in (None, ""):
            out[key] = _text(getattr(trigger, key))
    return out


def schedule_to_yaml(schedule: Any) -> dict:
    """The schedule's own fields as its YAML writes them; `create_job` is the caller's to add
    (a job file beside it, or `azureml:<job>`)."""
    spec: dict[str, Any] = {"$schema": SCHEDULE_SCHEMA, "name": schedule.name}
    for key in ("display_name", "description"):
        if getattr(schedule, key, None):
            spec[key] = getattr(schedule, key)
    if getattr(schedule, "tags", None):
        spec["tags"] = {str(k): str(v) for k, v in schedule.tags.items()}
    spec["trigger"] = trigger_to_dict(schedule.trigger)
    return spec
