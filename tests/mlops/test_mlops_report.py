"""amlmagic.mlops.report and assess(): the report as plain data, text and HTML (escaped), and on
the replay backend: what the recordings answer is assessed, what they do not is "not assessed"
with the reason, and no other practice is hidden by it."""

from __future__ import annotations

import json
from pathlib import Path

from amlmagic.mlops import assess
from amlmagic.mlops.practices import MISSING, NOT_ASSESSED, PRESENT, Finding
from amlmagic.mlops.report import MaturityReport
from amlmagic.session import reset_session

RECORDINGS = Path(__file__).resolve().parents[1] / "backends" / "recordings"


def _report(**statuses: str) -> MaturityReport:
    from amlmagic.mlops.practices import TITLES

    findings = [Finding(p, TITLES[p], statuses.get(p.replace("-", "_"), MISSING),
                        ["<b>job</b> & co"] if statuses.get(p.replace("-", "_")) == PRESENT else [],
                        "" if statuses.get(p.replace("-", "_")) == PRESENT else "do <this>")
                for p in TITLES]
    return MaturityReport("ws", "local", None, findings)


def test_to_dict_is_plain_data_with_the_level_and_each_practice():
    report = _report(versioned_data=PRESENT, environments_as_code=PRESENT, tracked_metrics=PRESENT)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert (data["level"], data["level_name"]) == (1, "DevOps but no MLOps")
    assert [lvl["achieved"] for lvl in data["levels"]] == [True, True, False, False, False]
    metrics = next(p for p in data["practices"] if p["practice"] == "tracked-metrics")
    assert metrics == {"practice": "tracked-metrics", "title": "Tracked training metrics", "status": PRESENT,
                       "evidence": ["<b>job</b> & co"], "next_step": "", "level": 2}


def test_text_and_html_show_every_practice_and_escape_what_they_show():
    report = _report(versioned_data=PRESENT)
    bundle = report._repr_mimebundle_()
    text, page = bundle["text/plain"], bundle["text/html"]
    assert text.splitlines()[0] == "MLOps maturity of ws (local): level 0, No MLOps"
    assert "  ✓ Versioned data that jobs reference: present" in text and "      <b>job</b> & co" in text
    assert text.count("next: do <this>") == 9
    assert page.count("<tr data-practice=") == 10
    assert "&lt;b&gt;job&lt;/b&gt; &amp; co" in page and "<b>job</b>" not in page
    assert "do &lt;this&gt;" in page and "<b>0 No MLOps</b>" in page


def test_on_the_replay_backend_what_is_not_recorded_is_not_assessed():
    session = reset_session()
    try:
        session.connect_replay([str(p) for p in sorted(RECORDINGS.glob("contract_*.json"))])
        report = assess(session.client)
    finally:
        reset_session()
    assert report.backend == "replay" and report.workspace == "ws-demo"
    statuses = {f.practice: f.status for f in report.findings}
    assert statuses["environments-as-code"] == statuses["tracked-metrics"] == PRESENT
    assert report.finding("environments-as-code").evidence == ["job contract-job-1 runs on contract-env:1"]
    assert report.finding("tracked-metrics").evidence == ["job contract-job-1 logged accuracy, loss"]
    assert report.finding("versioned-data").evidence == ["data assets registered (contract-iris) but no job reads one"]
    models = report.finding("models-from-jobs")  # the recordings hold no list of models
    assert models.status == NOT_ASSESSED
    assert models.next_step.startswith("could not read the workspace (ReplayMismatchError: ")
    assert models.next_step.endswith("): fix that, then run %aml mlops again")
    assert report.level == 0
