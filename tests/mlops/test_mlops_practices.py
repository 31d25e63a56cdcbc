"""amlmagic.mlops.practices on the local backend with real jobs, pipelines and endpoints: an empty
workspace is level 0, and the level rises to 4 as a notebook adopts each practice; each missing
practice names its next step, and evidence names what was found."""

from __future__ import annotations

from amlmagic.magics import run_aml
from amlmagic.mlops import assess
from amlmagic.mlops.practices import MISSING, NOT_ASSESSED, PRESENT
from amlmagic.session import current_session


def deployment(name: str, model: str, collect: bool = False) -> str:
    collector = ("data_collector:\n  collections:\n    model_inputs:\n      enabled: 'True'\n"
                 "    model_outputs:\n      enabled: 'True'\n") if collect else ""
    return (f"name: {name}\nendpoint_name: mlops-ep\nmodel: {model}\n"
            "code_configuration:\n  code: ./score\n  scoring_script: score.py\n"
            f"instance_type: Standard_DS3_v2\ninstance_count: 1\n{collector}")


def _statuses(report) -> dict[str, str]:
    return {f.practice: f.status for f in report.findings}


def _train(client) -> str:
    job = client.jobs.wait(run_aml("job create -f job.yml").name)
    assert job.status == "Completed", client.jobs.read_log(job.name)[0]
    return job.name


def test_an_empty_workspace_is_level_0_with_a_next_step_for_every_practice(workspace):
    report = assess(current_session().client)
    assert report.level == 0 and report.level_name == "No MLOps"
    assert {f.status for f in report.findings} == {MISSING, NOT_ASSESSED}
    assert report.finding("ci-workflow").status == NOT_ASSESSED  # only a folder can show it
    assert all(f.next_step and not f.evidence for f in report.findings)


def test_the_level_rises_with_each_practice(project):
    client = current_session().client
    # assets that no job uses yet: evidence says so, still missing
    run_aml("data create -n rows -v 1 -p rows")
    run_aml("environment create -n train-env -v 1 -c conda.yml -i python:3.11-slim")
    report = assess(client)
    assert report.level == 0
    assert report.finding("versioned-data").evidence == ["data assets registered (rows) but no job reads one"]
    assert "environment: azureml:NAME:VERSION" in report.finding("environments-as-code").next_step

    # level 1: a job reads the data asset and runs on the registered environment
    job = _train(client)
    report = assess(client)
    assert report.level == 1
    assert report.finding("versioned-data").evidence == [f"job {job} reads rows:1 (rows)"]
    assert report.finding("environments-as-code").evidence == [f"job {job} runs on train-env:1"]
    assert report.finding("tracked-metrics").evidence == [f"job {job} logged rows"]
    assert report.finding("models-from-jobs").status == MISSING

    # a model registered from the job's output, with its lineage; a pipeline run twice (reuse)
    run_aml(f"model create -n mlops-model -p azureml://jobs/{job}/outputs/model/paths/")
    report = assess(client)
    assert report.finding("models-from-jobs").evidence == [
        f"model mlops-model:1 <- job {job} (rows:1, train-env:1)"]
    assert report.level == 1  # no pipeline yet
    first = client.jobs.wait(run_aml("job create -f pipeline.yml").name)
    assert first.status == "Completed"
    pipelines = assess(client).finding("pipelines-and-reuse")
    assert pipelines.status == MISSING and pipelines.evidence == [f"pipeline {first.name} ran"]
    assert "register them as components" in pipelines.next_step
    again = client.jobs.wait(run_aml("job create -f pipeline.yml").name)
    assert again.status == "Completed"
    report = assess(client)
    assert report.finding("pipelines-and-reuse").evidence == [f"pipeline {again.name} reused 2 step(s) from earlier runs"]
    assert report.level == 1  # retraining is not scheduled yet

    # a weekly retraining schedule, disabled before it ever ran: not yet; triggered once: level 2
    (project / "schedule.yml").write_text(
        "name: retrain\ntrigger:\n  type: cron\n  expression: 0 3 * * 1\n  start_time: '2099-01-01T00:00:00'\n"
        "create_job: ./job.yml\n")
    run_aml("schedule create -f schedule.yml")
    run_aml("schedule disable -n retrain")
    found = assess(client).finding("schedules")
    assert found.status == MISSING and found.next_step == "enable it: %aml schedule enable -n retrain"
    run_aml("schedule enable -n retrain")
    fired = run_aml("schedule trigger -n retrain").job_name
    assert client.jobs.wait(fired).status == "Completed"
    run_aml("schedule disable -n retrain")
    report = assess(client)
    assert report.finding("schedules").evidence == ["schedule retrain (cron 0 3 * * 1, disabled) triggered 1 job(s)"]
    assert report.level == 2

    # level 3 also needs a folder: exported with a workflow, a staged rollout, a traced deployment
    run_aml("online-endpoint create -n mlops-ep")
    run_aml("online-deployment create --all-traffic", deployment("blue", "azureml:mlops-model:1"))
    report = assess(client)
    assert report.finding("staged-rollout").status == MISSING
    assert report.finding("traceable-deployments").evidence == [
        f"mlops-ep/blue serves model mlops-model:1 <- job {job} (rows:1, train-env:1)"]
    run_aml("online-deployment create", deployment("green", "azureml:mlops-model:1"))
    run_aml('online-endpoint update -n mlops-ep --traffic "blue=90 green=10"')
    run_aml("export --dir aml-export --ci github")
    report = assess(client, project / "aml-export")
    assert report.finding("staged-rollout").evidence == ["endpoint mlops-ep: blue 90%, green 10%"]
    ci = report.finding("ci-workflow")
    assert ci.status == PRESENT, ci
    assert ci.evidence[1] == ("GitHub Actions: .github/workflows/azureml-train-deploy.yml runs deploy.sh (az ml), "
                              "deployment waits for an approval environment")
    assert report.level == 3
    assert _statuses(report)["data-collection"] == MISSING
    assert "data_collector" in report.finding("data-collection").next_step

    # level 4: the green deployment collects its production inputs and outputs
    run_aml("online-deployment update", deployment("green", "azureml:mlops-model:1", collect=True))
    report = assess(client, project / "aml-export")
    assert report.finding("data-collection").evidence == ["mlops-ep/green collects model_inputs, model_outputs"]
    assert report.level == 4 and report.level_name == "Full MLOps automated operations"
    assert all(f.status == PRESENT and not f.next_step for f in report.findings)


def test_a_job_on_an_inline_environment_and_a_local_path_shows_no_practice(project):
    client = current_session().client
    (project / "inline.yml").write_text(
        "command: python train.py ${{inputs.rows}} ${{outputs.model}}\ncode: ./src\n"
        "inputs:\n  rows:\n    type: uri_folder\n    path: ./rows\noutputs:\n  model:\n    type: uri_folder\n"
        "environment:\n  image: python:3.11-slim\n  conda_file: conda.yml\ncompute: local\n")
    job = client.jobs.wait(run_aml("job create -f inline.yml").name)
    assert job.status == "Completed"
    run_aml("model create -n from-path -p rows")  # registered from a path: no lineage
    report = assess(client)
    statuses = _statuses(report)
    assert statuses["versioned-data"] == statuses["environments-as-code"] == MISSING
    assert statuses["models-from-jobs"] == MISSING
    assert statuses["tracked-metrics"] == PRESENT  # the job still logged its metric
    assert report.level == 0
