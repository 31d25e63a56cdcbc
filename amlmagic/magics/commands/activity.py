"""`%aml activity [--name N] [--since T] [--max-results K]`: the workspace's audit trail."""

from __future__ import annotations

import datetime as _dt
import re

from ...display.activity import ActivityTable
from ...errors import UsageError

__all__ = ["activity_default", "parse_since"]

_DURATION = re.compile(r"(\d+)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_since(text: str, now: _dt.datetime | None = None) -> _dt.datetime:
    """`2d`, `1h30m`, `45m` (that long ago) or an ISO time (`2026-12-01`, `2026-12-01T09:00Z`;
    without a zone, UTC) as an aware UTC datetime."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    value = str(text).strip()
    if value and _DURATION.sub("", value).strip() == "" and _DURATION.search(value):
        delta = _dt.timedelta()
        for amount, unit in _DURATION.findall(value):
            delta += _dt.timedelta(**{_UNITS[unit.lower()]: int(amount)})
        return now - delta
    try:
        moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since {text!r} is neither a duration (30m, 1h, 2d, 1w) nor an ISO time "
                         "(2026-12-01T09:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def activity_default(ctx) -> ActivityTable:
    since = ctx.flag("since")
    limit = ctx.flag("max_results")
    if limit is not None and limit < 1:
        raise UsageError(f"--max-results must be 1 or more, got {limit}")
    return ActivityTable(ctx.client.activity.list(
        name=ctx.flag("name"), since=parse_since(since) if since is not None else None, max_results=limit))
