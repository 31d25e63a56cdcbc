"""MaturityTable (amlmagic.widgets.maturity_table) over a real local workspace: its traits are the
report's, Refresh assesses again and shows what changed, and its static fallback is the report's
HTML."""

from __future__ import annotations

from azure.ai.ml.entities import Data, Environment

from amlmagic.mlops import assess
from amlmagic.widgets import MaturityTable


def test_the_table_shows_the_report_and_refresh_assesses_again(client, tmp_path):
    table = MaturityTable(assess(client), reassess=lambda: assess(client))
    assert (table.level, table.level_name, table.workspace) == (0, "No MLOps", client.workspace_name)
    assert [p["status"] for p in table.practices][:2] == ["missing", "missing"]
    assert [lvl["achieved"] for lvl in table.levels] == [True, False, False, False, False]
    (tmp_path / "rows.csv").write_text("1\n")
    client.data.create_or_update(Data(name="rows", version="1", path=str(tmp_path / "rows.csv"), type="uri_file"))
    client.environments.create_or_update(Environment(name="env", version="1", image="python:3.11-slim"))
    table.act("refresh")
    assert table.error == ""
    evidence = {p["practice"]: p["evidence"] for p in table.practices}
    assert evidence["versioned-data"] == ["data assets registered (rows) but no job reads one"]
    assert evidence["environments-as-code"] == ["environments registered (env) but no job names one"]
    assert table.to_dict() == table.report.to_dict()


def test_static_fallback_is_the_reports_html(client):
    report = assess(client)
    bundle = MaturityTable(report)._repr_mimebundle_()
    assert bundle["text/html"] == report.html()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    table = MaturityTable(report)
    table.act("refresh")  # nothing to refresh with: the table stays as it was
    assert table.error == "" and table.level == 0
