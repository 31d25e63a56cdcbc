"""Render entities as a short field list (one entity) or a table (a list), in text and HTML."""

from __future__ import annotations

import html
from enum import Enum
from typing import Any

__all__ = ["summarize", "EntityView", "EntityList", "TextBlock", "register_formatters", "kind_of"]

# The fields worth a glance, per entity kind (class name or a base's), in display order.
_FIELDS: dict[str, tuple[str, ...]] = {
    "Data": ("name", "version", "type", "path", "description", "tags", "created"),
    "Model": ("name", "version", "type", "path", "job_name", "description", "tags", "created"),
    "Environment": ("name", "version", "image", "conda_file", "build", "description", "created"),
    "Compute": ("name", "type", "size", "min_instances", "max_instances", "provisioning_state"),
    "Datastore": ("name", "type", "local_path", "account_name", "container_name"),
    "Job": ("name", "type", "status", "display_name", "experiment_name", "compute", "created", "error"),
    "OnlineEndpoint": ("name", "auth_mode", "scoring_uri", "traffic", "mirror_traffic", "provisioning_state"),
    "OnlineDeployment": ("name", "endpoint_name", "model", "instance_type", "instance_count", "provisioning_state"),
    "EndpointAuthKeys": ("primary_key", "secondary_key"),
    "Schedule": ("name", "display_name", "is_enabled", "trigger", "create_job", "description", "created"),
    "ScheduleTriggerResult": ("job_name", "schedule_action_type"),
}
_KINDS = tuple(_FIELDS)


def kind_of(entity: Any) -> str:
    for cls in type(entity).__mro__:
        name = cls.__name__
        if name in _KINDS:
            return name
        if name in ("Command", "CommandJob", "SweepJob", "PipelineJob", "BaseNode"):
            return "Job"
        if name.endswith("OnlineEndpoint"):
            return "OnlineEndpoint"
        if name.endswith("OnlineDeployment"):
            return "OnlineDeployment"
        if name.endswith("Datastore"):
            return "Datastore"
    return type(entity).__name__


def _value(entity: Any, field: str) -> Any:
    if field == "created":
        context = getattr(entity, "creation_context", None)
        created = getattr(context, "created_at", None)
        return str(created)[:19].replace("T", " ") if created else None
    if field == "local_path":
        return (getattr(entity, "properties", None) or {}).get("local_path")
    if field == "type" and kind_of(entity) == "Datastore":
        return "local folder" if getattr(entity, "account_name", "") == "local" else getattr(entity, "type", None)
    if field == "conda_file":
        conda = getattr(entity, "conda_file", None)
        return _conda_summary(conda) if isinstance(conda, dict) else conda
    if field == "build":
        build = getattr(entity, "build", None)
        return getattr(build, "path", None)
    if field == "error":
        return (getattr(entity, "properties", None) or {}).get("error")
    if field == "trigger":
        return _trigger_text(getattr(entity, "trigger", None))
    if field == "create_job" and kind_of(entity) == "Schedule":
        job = getattr(entity, "create_job", None)
        return job if isinstance(job, (str, type(None))) else (
            f"azureml:{job.id} ({job.type})" if getattr(job, "id", None) and not job.name else f"{job.type} job")
    if field == "model":
        model = getattr(entity, "model", None)
        return model if isinstance(model, (str, type(None))) else f"{model.name}:{model.version}"
    return getattr(entity, field, None)


def _trigger_text(trigger: Any) -> str | None:
    """A schedule's trigger in one line: `cron 15 16 * * 1 (UTC)`, `every 1 day at 4:00, 4:30 (UTC)`."""
    if trigger is None:
        return None
    zone = getattr(getattr(trigger, "time_zone", None), "value", getattr(trigger, "time_zone", None)) or "UTC"
    if getattr(trigger, "expression", None):
        return f"cron {trigger.expression} ({zone})"
    frequency = getattr(trigger.frequency, "value", trigger.frequency)
    text = f"every {trigger.interval} {frequency}"
    pattern = getattr(trigger, "schedule", None)
    hours, minutes = (getattr(pattern, "hours", None) or []), (getattr(pattern, "minutes", None) or [])
    if hours or minutes:
        hours, minutes = (hours if isinstance(hours, list) else [hours]), (minutes if isinstance(minutes, list) else [minutes])
        text += " at " + ", ".join(f"{h}:{m:02d}" for h in hours for m in minutes)
    for key in ("week_days", "month_days"):
        if getattr(pattern, key, None):
            text += f" on {getattr(pattern, key)}"
    return f"{text} ({zone})"


def _conda_summary(conda: dict) -> str:
    packages = []
    for dep in conda.get("dependencies", []):
        packages.extend(dep.get("pip", []) if isinstance(dep, dict) else [dep])
    return ", ".join(map(str, packages))


def _text(value: Any) -> str:
    if isinstance(value, Enum):  # azure-ai-ml's string enums (JobStatus.COMPLETED -> "Completed")
        value = value.value
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def summarize(entity: Any) -> list[tuple[str, str]]:
    """(field, text) pairs worth showing, empty fields left out."""
    fields = _FIELDS.get(kind_of(entity), ("name",))
    pairs = [(f, _text(_value(entity, f))) for f in fields]
    return [(f, v) for f, v in pairs if v not in ("", "{}")]


_STYLE = (
    "<style>.aml-t{border-collapse:collapse;font-size:12px}.aml-t td,.aml-t th{padding:2px 8px;"
    "text-align:left;border-bottom:1px solid #ddd}.aml-t th{font-weight:600}</style>"
)


class EntityView:
    """One entity as a field list."""

    def __init__(self, entity: Any, title: str | None = None):
        self.entity = entity
        self.title = title or kind_of(entity)

    def text(self) -> str:
        pairs = summarize(self.entity)
        width = max((len(f) for f, _ in pairs), default=0)
        return "\n".join([self.title] + [f"  {f:<{width}}  {v}" for f, v in pairs])

    def html(self) -> str:
        rows = "".join(f"<tr><th>{html.escape(f)}</th><td>{html.escape(v)}</td></tr>" for f, v in summarize(self.entity))
        return f"{_STYLE}<div><b>{html.escape(self.title)}</b><table class='aml-t'>{rows}</table></div>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.text(), "text/html": self.html()}

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text())


class EntityList(list):
    """A list (so `for x in %aml data list` works) that displays as a table."""

    def _table(self) -> tuple[list[str], list[list[str]]]:
        """(columns, rows): the fields any entity shows, long free-text fields left out."""
        summaries = [dict(summarize(entity)) for entity in self]
        columns: list[str] = []
        for summary in summaries:
            columns += [f for f in summary if f not in columns and f not in ("description", "tags", "conda_file", "error")]
        return columns, [[summary.get(c, "") for c in columns] for summary in summaries]

    def text(self) -> str:
        if not self:
            return "(none)"
        columns, rows = self._table()
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        return "\n".join(lines)

    def html(self) -> str:
        if not self:
            return "<i>(none)</i>"
        columns, rows = self._table()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
        return f"{_STYLE}<table class='aml-t'><tr>{head}</tr>{body}</table>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.text(), "text/html": self.html()}

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text())


class TextBlock(str):
    """Text shown as is (logs, help, keys), not as a quoted string."""

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def register_formatters(shell) -> None:
    """Teach IPython to display every azure-ai-ml entity with `EntityView`, without importing
    azure.ai.ml (formatters for a type given by name resolve lazily)."""
    formatters = shell.display_formatter.formatters
    for module, name in (("azure.ai.ml.entities._resource", "Resource"),
                         ("azure.ai.ml.entities._builders.base_node", "BaseNode"),
                         ("azure.ai.ml.entities._endpoint.online_endpoint", "EndpointAuthKeys")):
        formatters["text/plain"].for_type_by_name(module, name, lambda e, p, cycle: p.text(EntityView(e).text()))
        formatters["text/html"].for_type_by_name(module, name, lambda e: EntityView(e).html())
