"""`%aml mlops [--dir]` (amlmagic.magics.commands.mlops): outside a notebook frontend it returns the
MaturityReport; --dir of a folder exported with --ci github finds the workflow; bad --dir is one
line."""

from __future__ import annotations

import pytest

from amlmagic.errors import UsageError
from amlmagic.magics import run_aml
from amlmagic.mlops import MaturityReport
from amlmagic.mlops.practices import MISSING, PRESENT


def test_mlops_returns_the_report_and_dir_finds_an_exported_workflow(project):
    run_aml("data create -n rows -v 1 -p rows")
    report = run_aml("mlops")
    assert isinstance(report, MaturityReport) and report.folder is None and report.level == 0
    run_aml("export --dir exported --ci github")
    report = run_aml("mlops --dir exported")
    assert report.folder == str(project / "exported")
    ci = report.finding("ci-workflow")
    assert ci.status == PRESENT
    assert ci.evidence == ["1 CLI v2 YAML file(s), deploy.sh running az ml",
                           "GitHub Actions: .github/workflows/azureml-train-deploy.yml runs deploy.sh (az ml), "
                           "deployment waits for an approval environment"]
    run_aml("export --dir plain")  # YAML without a workflow: the next step says how to add one
    ci = run_aml("mlops --dir plain").finding("ci-workflow")
    assert ci.status == MISSING and ci.next_step == "add a workflow that runs it: %aml export --ci github (or --ci azure-pipelines)"


def test_mlops_bad_dir(workspace):
    with pytest.raises(UsageError, match="--dir .*missing is not a folder"):
        run_aml("mlops --dir missing")
    with pytest.raises(UsageError):
        run_aml("mlops --bogus")
