"""`%aml schedule ...`: schedules that submit a job on a cron or recurrence trigger."""

from __future__ import annotations

from typing import Any

from ...display import EntityList, TextBlock
from ...errors import UsageError, ValidationError
from ...rules.schedules import fire_times, is_triggered_by, parse_trigger, schedule_now
from ...spec.schedules import trigger_to_dict
from ..children import list_children

__all__ = [
    "schedule_create", "schedule_show", "schedule_list", "schedule_update", "schedule_enable",
    "schedule_disable", "schedule_delete", "schedule_trigger", "next_fire_times",
]
NEXT_SHOWN = 5


def _done(ctx, poller: Any, name: str, what: str) -> Any:
    """The poller's schedule, or with --no-wait (Azure goes on) the schedule as it is now."""
    if ctx.flag("no_wait"):
        return TextBlock(f"schedule {name}: {what} started")
    return poller.result()


def schedule_create(ctx) -> Any:
    schedule = ctx.from_yaml("schedule", name=ctx.flag("name"))
    result = _done(ctx, ctx.client.schedules.begin_create_or_update(schedule), schedule.name, "creation")
    ctx.record(result if not isinstance(result, str) else schedule)
    return result


def next_fire_times(schedule: Any, count: int = NEXT_SHOWN) -> list:
    """The schedule's next slots from now (UTC), by Azure's rules (rules/schedules.py)."""
    trigger = parse_trigger(trigger_to_dict(schedule.trigger))
    created = getattr(getattr(schedule, "creation_context", None), "created_at", None) or schedule_now()
    if created.tzinfo is None:
        created = created.replace(tzinfo=schedule_now().tzinfo)
    return fire_times(trigger, created=created, after=schedule_now(), count=count)


def schedule_show(ctx) -> Any:
    """The schedule; its next fire times and the jobs it triggered are displayed beneath it."""
    schedule = ctx.client.schedules.get(ctx.flag("name"))
    if not schedule.is_enabled:
        ctx.show_beneath(TextBlock("disabled: it triggers nothing until %aml schedule enable -n " + schedule.name))
    else:
        times = next_fire_times(schedule)
        ctx.show_beneath(TextBlock("next fire times (UTC): " + (", ".join(f"{t:%Y-%m-%d %H:%M:%S}" for t in times)
                                                                 or "none (its end_time has passed)")))
    error = (schedule.properties or {}).get("last_trigger_error")
    if error:
        ctx.show_beneath(TextBlock(f"last trigger failed: {error}"))
    jobs = list_children(ctx, f"the jobs {schedule.name} triggered",
                         lambda: [j for j in ctx.client.jobs.list() if is_triggered_by(j, schedule.name)],
                         f"%aml job list (display names start with {schedule.name}-)")
    if jobs is not None:
        ctx.show_beneath(TextBlock(f"triggered jobs ({len(jobs)})"))
        ctx.show_beneath(jobs)
    return schedule


def schedule_list(ctx) -> EntityList:
    if ctx.flag("include_disabled") and ctx.flag("disabled_only"):
        raise UsageError("--include-disabled and --disabled-only exclude each other: give one")
    view = "DisabledOnly" if ctx.flag("disabled_only") else "All" if ctx.flag("include_disabled") else "EnabledOnly"
    items = list(ctx.client.schedules.list(list_view_type=view))
    limit = ctx.flag("max_results")
    return EntityList(items[:limit] if limit else items)


def _set_field(entity: Any, key: str, value: Any) -> None:
    """`--set a.b=v` on an entity: attributes, then dict keys (tags.x, trigger.expression)."""
    *path, last = key.split(".")
    target = entity
    for part in path:
        target = target.get(part) if isinstance(target, dict) else getattr(target, part, None)
        if target is None:
            raise ValidationError(f"--set {key}: the schedule has no {part!r}")
    if isinstance(target, dict):
        target[last] = value
    elif hasattr(target, last):
        setattr(target, last, value)
    else:
        raise ValidationError(f"--set {key}: the schedule has no field {last!r}")


def schedule_update(ctx) -> Any:
    """`-f` (or a cell): the YAML again, as `az ml schedule create`; `-n` with `--set`: fields of
    the existing schedule (description, display_name, tags.x, trigger.expression, ...)."""
    if ctx.has_yaml:
        schedule = ctx.from_yaml("schedule", name=ctx.flag("name"))
    else:
        from ..yaml_input import parse_overrides

        overrides = parse_overrides(ctx.flag("set"))
        if not overrides:
            raise UsageError("give --set key=value (e.g. --set description=\"nightly\") or -f with the schedule's YAML")
        schedule = ctx.client.schedules.get(ctx.flag("name"))
        for override in overrides:
            for key, value in override.items():
                _set_field(schedule, key, value)
    result = _done(ctx, ctx.client.schedules.begin_create_or_update(schedule), schedule.name, "update")
    ctx.record(result if not isinstance(result, str) else schedule)
    return result


def schedule_enable(ctx) -> Any:
    result = _done(ctx, ctx.client.schedules.begin_enable(ctx.flag("name")), ctx.flag("name"), "enabling")
    ctx.record(result if not isinstance(result, str) else None)
    return result


def schedule_disable(ctx) -> Any:
    result = _done(ctx, ctx.client.schedules.begin_disable(ctx.flag("name")), ctx.flag("name"), "disabling")
    ctx.record(result if not isinstance(result, str) else None)
    return result


def schedule_delete(ctx) -> TextBlock:
    poller = ctx.client.schedules.begin_delete(ctx.flag("name"))
    if not ctx.flag("no_wait"):
        poller.result()
    ctx.record(None)
    return TextBlock(f"schedule {ctx.flag('name')} deleted (the jobs it triggered stay)")


def schedule_trigger(ctx) -> Any:
    """The `ScheduleTriggerResult` (`.job_name`: the job it submitted)."""
    return ctx.client.schedules.trigger(ctx.flag("name"))
