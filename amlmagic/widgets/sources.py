"""What the widgets read through the client interface, whatever the backend: job status and
times, the log tail, a sweep's trials."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..rules import is_terminal, status_text

__all__ = ["job_times_ms", "LogTail", "trial_params", "trial_termination", "objective_of"]


def _ms(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value) * (1 if value > 1e11 else 1000)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp() * 1000
    return None


def job_times_ms(job: Any) -> tuple[float | None, float | None]:
    """(start, end) in epoch ms from the job's properties, else its creation context."""
    props = dict(getattr(job, "properties", None) or {})
    ctx = getattr(job, "creation_context", None)
    start = _ms(props.get("StartTimeUtc") or props.get("start_time")) or _ms(getattr(ctx, "created_at", None))
    end = _ms(props.get("EndTimeUtc") or props.get("end_time"))
    if end is None and is_terminal(status_text(job)):
        end = _ms(getattr(ctx, "last_modified_at", None))
    return start, end


class LogTail:
    """The last `limit` characters of a job's log, read incrementally with `jobs.read_log`."""

    def __init__(self, client: Any, job_name: str, limit: int = 20_000, log: str | None = None):
        self.client = client
        self.job_name = job_name
        self.log = log  # one of jobs.log_names (a distributed job's rank); None: the streamed one
        self.offset = 0
        self.limit = limit
        self.text = ""

    def poll(self) -> bool:
        """Read what was appended; True when the text changed."""
        chunk, self.offset = self.client.jobs.read_log(self.job_name, self.offset, log=self.log)
        if not chunk:
            return False
        self.text = (self.text + chunk)[-self.limit:]
        return True


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def trial_params(trial: Any) -> dict:
    """A trial's sampled hyperparameters from its properties or tags (keys without `--`)."""
    for source in (getattr(trial, "properties", None) or {}, getattr(trial, "tags", None) or {}):
        for key, value in source.items():
            if "hyperparameter" in key.lower() or key in ("search_space", "parameters"):
                value = _maybe_json(value)
                if isinstance(value, dict):
                    return {str(k).lstrip("-"): v for k, v in value.items()}
    return {}


def trial_termination(trial: Any) -> str:
    """The early-termination policy that stopped a trial, or ''."""
    for source in (getattr(trial, "properties", None) or {}, getattr(trial, "tags", None) or {}):
        for key, value in source.items():
            k = key.lower()
            if "terminat" in k or k in ("policy", "stopped_by"):
                value = _maybe_json(value)
                if isinstance(value, dict):
                    return str(value.get("policy") or value.get("type") or value)
                if value:
                    return str(value)
    return ""


def objective_of(sweep: Any) -> tuple[str, str]:
    """(primary_metric, goal) of a sweep job."""
    objective = getattr(sweep, "objective", None)
    metric = getattr(objective, "primary_metric", None) or ""
    goal = str(getattr(objective, "goal", None) or "maximize").lower()
    return metric, goal
