"""Schedule rules: cron and recurrence slots, start/end times, time zones, names, bad input."""

from datetime import datetime, timedelta, timezone

import pytest
from azure.ai.ml.constants import TimeZone

from amlmagic.rules.schedules import (
    CLOCK_ENV,
    fire_times,
    is_triggered_by,
    next_fire,
    parse_trigger,
    resolve_macros,
    schedule_now,
    triggered_display_name,
)
from amlmagic.rules.time_zones import zone_for

UTC = timezone.utc
CREATED = datetime(2025, 1, 1, 9, 30, 15, tzinfo=UTC)  # a Wednesday


def slots(trigger, count=4, after=CREATED, created=CREATED):
    return fire_times(parse_trigger(trigger), created=created, after=after, count=count)


def test_cron_weekday_zero_is_sunday_and_days_and_months_are_ignored():
    assert [s.weekday() for s in slots({"type": "cron", "expression": "15 16 * * 1", "start_time": "2025-01-01"})] == [0] * 4
    assert slots({"type": "cron", "expression": "0 8 * * SUN", "start_time": "2025-01-01"})[0] == datetime(2025, 1, 5, 8, tzinfo=UTC)
    # day 15 of March in the expression: ignored, so it fires every day at 06:00
    days = slots({"type": "cron", "expression": "0 6 15 3 *", "start_time": "2025-01-01"})
    assert [s.day for s in days] == [2, 3, 4, 5]


def test_cron_lists_ranges_steps_and_time_zone():
    found = slots({"type": "cron", "expression": "*/20 9-10 * * MON-FRI", "start_time": "2025-01-01T00:00:00",
                   "time_zone": "Pacific Standard Time"}, count=6)
    assert [(s.hour, s.minute) for s in found] == [(17, 0), (17, 20), (17, 40), (18, 0), (18, 20), (18, 40)]


def test_no_start_time_runs_immediately_and_a_past_one_does_not_backfill():
    trigger = parse_trigger({"type": "cron", "expression": "0 * * * *"})
    assert next_fire(trigger, created=CREATED, after=CREATED - timedelta(microseconds=1)) == CREATED
    past = parse_trigger({"type": "cron", "expression": "0 * * * *", "start_time": "2020-01-01T00:00:00"})
    assert next_fire(past, created=CREATED, after=CREATED) == datetime(2025, 1, 1, 10, tzinfo=UTC)


def test_recurrence_without_pattern_follows_start_plus_interval_and_stops_at_end():
    found = slots({"type": "recurrence", "frequency": "hour", "interval": 2, "start_time": "2025-01-01T08:00:00",
                   "end_time": "2025-01-01T14:00:00"}, count=10)
    assert [s.hour for s in found] == [10, 12, 14]


def test_recurrence_patterns_by_week_and_month_day_31_skips_short_months():
    weekly = slots({"type": "recurrence", "frequency": "week", "interval": 2, "start_time": "2025-01-06T00:00:00",
                    "schedule": {"hours": [7], "minutes": [0], "week_days": ["monday", "friday"]}})
    assert [s.date().isoformat() for s in weekly] == ["2025-01-06", "2025-01-10", "2025-01-20", "2025-01-24"]
    monthly = slots({"type": "recurrence", "frequency": "month", "interval": 1,
                     "schedule": {"hours": [1], "minutes": [0], "month_days": [31]}})
    assert [s.month for s in monthly] == [1, 3, 5, 7]


def test_dst_skipped_time_does_not_fire_and_repeated_time_fires_once():
    spring = slots({"type": "cron", "expression": "30 2 * * *", "start_time": "2025-03-08T00:00:00",
                    "time_zone": "Pacific Standard Time"}, count=3, after=datetime(2025, 3, 8, tzinfo=UTC))
    assert [s.astimezone(zone_for("Pacific Standard Time")).day for s in spring] == [8, 10, 11]  # not the 9th
    autumn = slots({"type": "cron", "expression": "30 1 * * *", "start_time": "2025-11-01T00:00:00",
                    "time_zone": "Pacific Standard Time"}, count=3, after=datetime(2025, 11, 1, tzinfo=UTC))
    assert len({s.astimezone(zone_for("Pacific Standard Time")).date() for s in autumn}) == 3


def test_every_azure_time_zone_maps_to_a_zone():
    for zone in TimeZone:
        assert zone_for(zone.value).key


@pytest.mark.parametrize("trigger, start", [
    ({"type": "cron", "expression": "0 0 * * 8"}, "trigger.expression"),
    ({"type": "cron", "expression": "0 0 * * * *"}, "trigger.expression"),
    ({"type": "cron", "expression": "5-1 0 * * *"}, "trigger.expression"),
    ({"type": "cron", "expression": "0 0 * * *", "time_zone": "Europe/Paris"}, "trigger.time_zone: unknown time zone 'Europe/Paris': use 'Romance Standard Time'"),
    ({"type": "cron", "expression": "0 0 * * *", "start_time": "yesterday"}, "trigger.start_time"),
    ({"type": "cron", "expression": "0 0 * * *", "start_time": "2025-01-02", "end_time": "2025-01-01"}, "trigger.end_time"),
    ({"type": "recurrence", "frequency": "minute", "interval": 5, "schedule": {"hours": [1], "minutes": [1]}}, "trigger.schedule.hours"),
    ({"type": "recurrence", "frequency": "week", "interval": 1, "schedule": {"hours": [1], "minutes": [1], "month_days": [1]}}, "trigger.schedule.month_days"),
    ({"type": "recurrence", "frequency": "day", "interval": 1, "schedule": {"hours": [1]}}, "trigger.schedule.minutes"),
    ({"type": "recurrence", "frequency": "year", "interval": 1}, "trigger.frequency"),
    ({"type": "recurrence", "frequency": "day", "interval": 0}, "trigger.interval"),
    ({"type": "daily"}, "trigger.type"),
])
def test_bad_triggers_are_one_line_naming_the_field(trigger, start):
    with pytest.raises(ValueError) as info:
        parse_trigger(trigger)
    assert str(info.value).startswith(start) and "\n" not in str(info.value)


def test_triggered_job_names_links_and_macros():
    slot = datetime(2021, 1, 1, 6, tzinfo=UTC)
    assert triggered_display_name("named-schedule", slot) == "named-schedule-20210101T060000Z"

    class Job:
        tags = {}
        display_name = "named-schedule-20210101T060000Z"

    assert is_triggered_by(Job(), "named-schedule") and not is_triggered_by(Job(), "named")
    assert resolve_macros({"a": "${{name}}", "b": ["${{creation_context.trigger_time}}"]}, "job1", slot) == {
        "a": "job1", "b": ["2021-01-01T06:00:00+00:00"]}


def test_the_schedule_clock_runs_faster_only_when_told(monkeypatch):
    monkeypatch.delenv(CLOCK_ENV, raising=False)
    assert abs((schedule_now() - datetime.now(UTC)).total_seconds()) < 1
    monkeypatch.setenv(CLOCK_ENV, f"60@{(datetime.now(UTC) - timedelta(seconds=10)).isoformat()}")
    assert 9 * 60 - 5 < (schedule_now() - datetime.now(UTC)).total_seconds() < 10 * 60 + 5
    monkeypatch.setenv(CLOCK_ENV, "fast")
    with pytest.raises(ValueError, match=CLOCK_ENV):
        schedule_now()
