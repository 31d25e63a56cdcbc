"""`%aml activity`: changes made by magics, widgets and Python code alike, newest first, filtered
by name, time and count; a table in text and HTML, plain data for scripts; bad flags: one line."""

from __future__ import annotations

import datetime as dt

import pytest

from amlmagic.display.activity import ActivityTable
from amlmagic.errors import UsageError
from amlmagic.magics.commands.activity import parse_since


def test_magic_widget_and_python_changes_all_show(ip, workspace):
    from azure.ai.ml.entities import AmlCompute

    from amlmagic.session import current_session
    from amlmagic.widgets import ComputePicker

    (workspace / "d.csv").write_text("a,b\n1,2\n")
    ip.run("%aml data create -n rows -p d.csv -t uri_file")
    ip.run("%aml compute create -n pool --max-instances 2")
    client = current_session().client
    client.compute.begin_create_or_update(AmlCompute(name="pool", max_instances=4)).result()  # Python code
    ComputePicker(client).act("use", name="pool")  # a widget
    ip.run("%aml data show -n rows")  # a read: no line

    table = ip.run("%aml activity")
    assert isinstance(table, ActivityTable)
    assert [(e["verb"], e["kind"], e["name"]) for e in table] == [
        ("use", "compute", "pool"), ("update", "compute", "pool"), ("create", "compute", "pool"),
        ("create", "data", "rows")]
    text, html = table._repr_mimebundle_()["text/plain"], table._repr_mimebundle_()["text/html"]
    assert text.splitlines()[0].split() == ["when", "who", "verb", "what", "change"]
    assert "max_instances: 2 -> 4" in text and "data rows:1" in text
    assert "<table" in html and "max_instances: 2 -&gt; 4" in html
    assert table.to_dict()["entries"][1]["after"] == {"max_instances": 4}

    assert [e["kind"] for e in ip.run("%aml activity --name rows")] == ["data"]
    assert len(ip.run("%aml activity --max-results 2")) == 2
    assert len(ip.run("%aml activity --since 1h")) == 4
    assert len(ip.run("%aml activity --since 2099-01-01")) == 0
    assert "(no activity)" in ip.run("%aml activity -n nothing-by-that-name").text()


@pytest.mark.parametrize("line, why", [
    ("%aml activity --since yesterday", "--since 'yesterday' is neither a duration"),
    ("%aml activity --since 5x", "--since '5x' is neither a duration"),
    ("%aml activity --max-results 0", "--max-results must be 1 or more"),
])
def test_bad_flags_give_one_line(ip, line, why):
    from IPython.core.error import UsageError as IPythonUsageError

    with pytest.raises((UsageError, IPythonUsageError)) as info:
        ip.run(line)
    assert why in str(info.value) and "\n" not in str(info.value)


def test_since_takes_durations_and_iso_times():
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_since("2d", now) == now - dt.timedelta(days=2)
    assert parse_since("1h30m", now) == now - dt.timedelta(hours=1, minutes=30)
    assert parse_since("1w", now) == now - dt.timedelta(weeks=1)
    assert parse_since("2026-12-01T09:00Z", now) == dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc)
    assert parse_since("2026-12-01", now) == dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    assert parse_since("2026-12-01T10:00+01:00", now) == dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc)
