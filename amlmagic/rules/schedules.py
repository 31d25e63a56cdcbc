"""Job schedules (../shared/azureml-semantics-2.md section 4): cron and recurrence triggers, their
fire times, and how a triggered job is named and linked back to its schedule.

    trigger = parse_trigger({"type": "cron", "expression": "15 16 * * 1", "time_zone": "UTC"})
    slot = next_fire(trigger, created=..., after=...)        # aware UTC datetime, or None
    triggered_display_name("nightly", slot)                  # "nightly-20250106T161500Z"

Triggers are the plain dicts of the schedule YAML (`type`, `expression` or `frequency`/`interval`/
`schedule`, `start_time`, `end_time`, `time_zone`); every problem is a ValueError whose one line
names the field (`trigger.expression: ...`), which the backends raise as a ValidationError.

Azure's rules kept here:
- cron is NCronTab's 5 fields; the DAYS and MONTHS fields are checked but ignored (treated as
  `*`); day of week is 0-6 with 0 = Sunday, or SUN..SAT.
- recurrence: `frequency` minute|hour|day|week|month, `interval` >= 1, an optional `schedule`
  pattern of `hours` and `minutes` (both required) plus `week_days` (week, month) and
  `month_days` (month); without a pattern slots follow start_time + k x interval x frequency;
  a month day the month lacks (30, 31) does not fire.
- start_time absent: the first run is at creation (immediately); in the past: the next
  calculated time (no backfill). end_time absent: until disabled. Times without an offset are
  in `time_zone` (Windows names, default UTC: time_zones.py).
- a triggered job's display name is `<schedule>-YYYYMMDDThhmmssZ` (the slot in UTC).

Our rules (docs/schedules.md): a local time that a DST change skips does not fire, one it
repeats fires once (the first); with week_days and month_days both given, a month slot needs
both; the tags linking a triggered job to its schedule (`TRIGGER_TAG`, `TRIGGER_TIME_TAG`:
Azure's are unconfirmed); the schedule clock may run faster for tests and demos
(`AMLMAGIC_SCHEDULE_CLOCK`, `schedule_now`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

from .time_zones import zone_for

__all__ = [
    "Trigger", "parse_trigger", "parse_cron", "parse_time", "next_fire", "fire_times", "triggered_display_name",
    "triggered_job_tags", "is_triggered_by", "schedule_now", "clock_speed", "FREQUENCIES", "WEEK_DAYS", "TRIGGER_TAG",
    "TRIGGER_TIME_TAG", "CLOCK_ENV", "OVERRIDE_KEYS", "DELETE_ENABLED_MESSAGE", "resolve_macros",
]

FREQUENCIES = ("minute", "hour", "day", "week", "month")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # Python's order
PATTERN_KEYS = {"day": ("hours", "minutes"), "week": ("hours", "minutes", "week_days"),
                "month": ("hours", "minutes", "week_days", "month_days")}
OVERRIDE_KEYS = ("inputs", "outputs", "settings", "experiment_name", "tags", "compute")  # create_job overrides
TRIGGER_TAG = "azureml.scheduleTrigger.scheduleName"
TRIGGER_TIME_TAG = "azureml.scheduleTrigger.scheduleTime"
CLOCK_ENV = "AMLMAGIC_SCHEDULE_CLOCK"
DELETE_ENABLED_MESSAGE = "You must first disable a schedule to delete it"
_CRON_NAMES = {"day-of-week": ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
               "month": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")}
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("day-of-week", 0, 6))
_SEARCH_DAYS = 3700  # ten years of days: a pattern that never fires (month_days [31], interval 12 from Feb)
_UTC = timezone.utc


@dataclass(frozen=True)
class Trigger:
    type: str  # "cron" | "recurrence"
    zone: ZoneInfo
    start: datetime | None  # aware
    end: datetime | None
    frequency: str = "day"  # recurrence (cron: "day", one pass per day)
    interval: int = 1
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    week_days: frozenset[int] = frozenset()  # Python weekdays, Monday = 0
    month_days: frozenset[int] = frozenset()
    has_pattern: bool = False


# -- the clock -------------------------------------------------------------------------------------
def _clock() -> tuple[float, datetime] | None:
    setting = os.environ.get(CLOCK_ENV, "").strip()
    if not setting:
        return None
    speed, _, origin = setting.partition("@")
    try:
        factor, since = float(speed), datetime.fromisoformat(origin)
        if factor <= 0:
            raise ValueError
    except ValueError:
        raise ValueError(f"{CLOCK_ENV} must be <speed>@<ISO time>, e.g. 60@2025-01-06T16:00:00+00:00, "
                         f"not {setting!r}") from None
    return factor, since if since.tzinfo else since.replace(tzinfo=_UTC)


def schedule_now() -> datetime:
    """Now, as schedules see it (aware UTC). `AMLMAGIC_SCHEDULE_CLOCK="<speed>@<ISO time>"` makes the
    schedule clock run `speed` times faster from that moment (the same on every process that has
    the variable: the scheduler inherits it), so tests and demos see minutes pass in seconds."""
    real = datetime.now(_UTC)
    clock = _clock()
    return real if clock is None else clock[1] + (real - clock[1]) * clock[0]


def clock_speed() -> float:
    """How many schedule seconds pass in a real second (1 unless AMLMAGIC_SCHEDULE_CLOCK says)."""
    clock = _clock()
    return 1.0 if clock is None else clock[0]


# -- parsing ---------------------------------------------------------------------------------------
def parse_time(value: Any, zone: ZoneInfo, field: str) -> datetime | None:
    """An aware datetime of a `start_time`/`end_time` (ISO text or datetime; without an offset it
    is a wall-clock time in `zone`)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"trigger.{field}: {value!r} is not an ISO time such as 2025-01-06T10:00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _cron_value(text: str, field: str, low: int, high: int, expression: str) -> int:
    names = _CRON_NAMES.get(field)
    if names and text.lower() in names:
        return names.index(text.lower()) + (1 if field == "month" else 0)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"trigger.expression: {expression!r} is not a valid cron expression: {field} {text!r} "
                         f"is outside {low}-{high}" + (" (0 = Sunday)" if field == "day-of-week" else ""))
    return int(text)


def _cron_field(part: str, field: str, low: int, high: int, expression: str) -> frozenset[int]:
    values: set[int] = set()
    for item in part.split(","):
        body, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"trigger.expression: {expression!r} is not a valid cron expression: "
                                 f"step {step_text!r} of the {field} field must be a positive number")
            step = int(step_text)
        if body == "*":
            first, last = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            first, last = (_cron_value(a, field, low, high, expression), _cron_value(b, field, low, high, expression))
            if first > last:
                raise ValueError(f"trigger.expression: {expression!r} is not a valid cron expression: "
                                 f"range {body!r} of the {field} field runs backwards")
        else:
            first = _cron_value(body, field, low, high, expression)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> tuple[tuple[int, ...], tuple[int, ...], frozenset[int]]:
    """(minutes, hours, Python weekdays) of an NCronTab 5-field expression; DAYS and MONTHS are
    checked, then ignored (Azure treats them as `*`)."""
    parts = str(expression or "").split()
    if len(parts) != 5:
        raise ValueError(f"trigger.expression: {expression!r} is not a valid cron expression: it needs 5 fields "
                         "(minute hour day month day-of-week), e.g. '15 16 * * 1'")
    fields = [_cron_field(part, *spec, expression) for part, spec in zip(parts, _CRON_FIELDS, strict=True)]
    minutes, hours, _days, _months, dows = fields
    return tuple(sorted(minutes)), tuple(sorted(hours)), frozenset((d - 1) % 7 for d in dows)


def _int_list(value: Any, field: str, low: int, high: int) -> tuple[int, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ValueError(f"trigger.schedule.{field}: {item!r} must be a whole number from {low} to {high}")
        out.append(item)
    if not out:
        raise ValueError(f"trigger.schedule.{field}: give at least one value from {low} to {high}")
    return tuple(sorted(set(out)))


def _week_days(value: Any) -> frozenset[int]:
    items = value if isinstance(value, (list, tuple)) else [value]
    days = set()
    for item in items:
        text = str(getattr(item, "value", item)).lower()
        if text not in WEEK_DAYS:
            raise ValueError(f"trigger.schedule.week_days: {item!r} is not a day: use {', '.join(WEEK_DAYS)}")
        days.add(WEEK_DAYS.index(text))
    return frozenset(days)


def _recurrence(trigger: Mapping[str, Any]) -> dict:
    frequency = str(getattr(trigger.get("frequency"), "value", trigger.get("frequency")) or "").lower()
    if frequency not in FREQUENCIES:
        raise ValueError(f"trigger.frequency: {trigger.get('frequency')!r} is not a frequency: use one of "
                         f"{', '.join(FREQUENCIES)}")
    interval = trigger.get("interval")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"trigger.interval: {interval!r} must be a whole number >= 1 (every <interval> {frequency}s)")
    fields: dict[str, Any] = {"frequency": frequency, "interval": interval}
    pattern = trigger.get("schedule")
    if pattern is not None and not isinstance(pattern, Mapping):
        pattern = {k: getattr(pattern, k, None) for k in ("hours", "minutes", "week_days", "month_days")}
    pattern = {k: v for k, v in (pattern or {}).items() if v not in (None, [], ())}
    if not pattern:
        return fields
    allowed = PATTERN_KEYS.get(frequency, ())
    for key in pattern:
        if key not in allowed:
            why = (f"frequency {frequency} takes no schedule pattern" if not allowed
                   else f"frequency {frequency} allows only {', '.join(allowed)}")
            raise ValueError(f"trigger.schedule.{key}: {why}")
    for key in ("hours", "minutes"):
        if key not in pattern:
            raise ValueError(f"trigger.schedule.{key}: required when a schedule pattern is given")
    fields.update(hours=_int_list(pattern["hours"], "hours", 0, 23),
                  minutes=_int_list(pattern["minutes"], "minutes", 0, 59), has_pattern=True)
    if "week_days" in pattern:
        fields["week_days"] = _week_days(pattern["week_days"])
    if "month_days" in pattern:
        fields["month_days"] = frozenset(_int_list(pattern["month_days"], "month_days", 1, 31))
    return fields


def parse_trigger(trigger: Mapping[str, Any]) -> Trigger:
    """The trigger checked and parsed; ValueError with one line naming the field."""
    if not isinstance(trigger, Mapping):
        raise ValueError("trigger: give a cron or recurrence trigger (type: cron, expression: '0 * * * *')")
    kind = str(trigger.get("type") or "").lower()
    zone = zone_for(getattr(trigger.get("time_zone"), "value", trigger.get("time_zone")))
    start = parse_time(trigger.get("start_time"), zone, "start_time")
    end = parse_time(trigger.get("end_time"), zone, "end_time")
    if start and end and end <= start:
        raise ValueError(f"trigger.end_time: {trigger.get('end_time')} is not after start_time "
                         f"{trigger.get('start_time')}: give a later end_time")
    if kind == "cron":
        minutes, hours, dows = parse_cron(trigger.get("expression"))
        return Trigger("cron", zone, start, end, hours=hours, minutes=minutes, week_days=dows, has_pattern=True)
    if kind == "recurrence":
        return Trigger("recurrence", zone, start, end, **_recurrence(trigger))
    raise ValueError(f"trigger.type: {trigger.get('type')!r} is not a trigger type: use cron or recurrence")


# -- fire times ------------------------------------------------------------------------------------
def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _day_fires(t: Trigger, day: date, anchor: datetime) -> bool:
    if t.type == "cron":
        return day.weekday() in t.week_days
    first = anchor.date()
    if day < first:
        return False
    if t.frequency == "day":
        return (day - first).days % t.interval == 0
    if t.frequency == "week":
        monday = first - timedelta(days=first.weekday())
        days = t.week_days or frozenset({first.weekday()})
        return ((day - monday).days // 7) % t.interval == 0 and day.weekday() in days
    if _months_between(first, day) % t.interval:
        return False
    if t.month_days and day.day not in t.month_days:
        return False
    if t.week_days and day.weekday() not in t.week_days:
        return False
    return bool(t.month_days or t.week_days) or day.day == first.day  # no pattern days: the anchor's day


def _local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time; None when a DST change skips it (our rule)."""
    aware = naive.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(_UTC)
    return utc if utc.astimezone(zone).replace(tzinfo=None) == naive else None


def _slots_after(t: Trigger, anchor: datetime, after: datetime) -> Iterator[datetime]:
    """Slots strictly after `after` (UTC, ascending), from the trigger's pattern, unbounded."""
    if t.type == "recurrence" and t.frequency in ("minute", "hour") and not t.has_pattern:
        step = timedelta(minutes=t.interval) if t.frequency == "minute" else timedelta(hours=t.interval)
        k = max(0, (after - anchor) // step + 1)
        while True:
            yield anchor + k * step
            k += 1
    local_anchor = anchor.astimezone(t.zone)
    if t.has_pattern:
        times = [(h, m, 0) for h in t.hours for m in t.minutes]
    else:
        times = [(local_anchor.hour, local_anchor.minute, local_anchor.second)]
    day = after.astimezone(t.zone).date()
    for _ in range(_SEARCH_DAYS):
        if _day_fires(t, day, local_anchor):
            for hour, minute, second in times:
                slot = _local_to_utc(datetime(day.year, day.month, day.day, hour, minute, second), t.zone)
                if slot is not None and slot > after:
                    yield slot
        day += timedelta(days=1)


def next_fire(t: Trigger, *, created: datetime, after: datetime) -> datetime | None:
    """The first slot strictly after `after` (aware), within start_time..end_time; None when the
    schedule has ended (or its pattern never fires). Without start_time the schedule's first
    slot is its creation (Azure runs it immediately)."""
    after = after.astimezone(_UTC)
    if t.start is None and after < created:
        return created.astimezone(_UTC)
    anchor = (t.start or created).astimezone(_UTC)
    floor = max(after, anchor - timedelta(microseconds=1))  # a slot at start_time itself counts
    for slot in _slots_after(t, anchor, floor):
        if t.end is not None and slot > t.end:
            return None
        return slot
    return None


def fire_times(t: Trigger, *, created: datetime, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` slots after `after` (for `show`)."""
    found: list[datetime] = []
    while len(found) < count:
        slot = next_fire(t, created=created, after=after)
        if slot is None:
            break
        found.append(slot)
        after = slot
    return found


# -- triggered jobs --------------------------------------------------------------------------------
def triggered_display_name(schedule: str, slot: datetime) -> str:
    return f"{schedule}-{slot.astimezone(_UTC):%Y%m%dT%H%M%SZ}"


_DISPLAY = re.compile(r"^(?P<schedule>.+)-\d{8}T\d{6}Z$")


def is_triggered_by(job: Any, schedule: str) -> bool:
    """Whether a job (entity) was triggered by `schedule`: its link tag, else its display name
    (`az ml job list --query "[?contains(display_name,'<schedule>')]"`, the documented query)."""
    tags = getattr(job, "tags", None) or {}
    if TRIGGER_TAG in tags:
        return tags[TRIGGER_TAG] == schedule
    match = _DISPLAY.match(str(getattr(job, "display_name", None) or ""))
    return bool(match) and match["schedule"] == schedule


def triggered_job_tags(schedule: str, slot: datetime) -> dict[str, str]:
    """Tags a triggered job carries (our rule: Azure's link is unconfirmed, docs/schedules.md)."""
    return {TRIGGER_TAG: schedule, TRIGGER_TIME_TAG: slot.astimezone(_UTC).isoformat()}


_MACROS = re.compile(r"\$\{\{\s*(name|creation_context\.trigger_time)\s*\}\}")


def resolve_macros(value: Any, job_name: str, slot: datetime) -> Any:
    """`${{name}}` and `${{creation_context.trigger_time}}` in a scheduled job's inputs and output
    paths, replaced at submission as Azure does server-side."""
    if isinstance(value, str):
        return _MACROS.sub(lambda m: job_name if m[1] == "name" else slot.astimezone(_UTC).isoformat(), value)
    if isinstance(value, Mapping):
        return {k: resolve_macros(v, job_name, slot) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_macros(v, job_name, slot) for v in value]
    return value
