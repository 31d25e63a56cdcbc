"""`%aml export` orders things by what they use and keeps job-to-job lineage, driven through the
real magics with real local jobs:

- a train job, a model registered from its output, an evaluation job reading that model: deploy.sh
  submits the train job, waits for it, registers the model from the new job, then submits the
  evaluation job (a kind-only order put both jobs before the model, which fails on Azure);
- a prep job whose output feeds a train job: the train job keeps an `azureml://jobs/...` input,
  pointed at the re-submitted prep job with `--set`, and nothing of the output is copied;
- a producer job that is not exported (an earlier kernel's): its output is copied as before;
- a sweep's inputs are top-level: its link is `inputs.<name>.path`, and the override loads;
- a `@latest` reference means the version that was latest when its user was created;
- items that depend on each other: no hang, a README note.

Each export is re-run in a fresh local workspace through deploy.sh (`az` answered by `%aml`),
and the lineage ones also through the README's `%aml` lines in IPython.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from amlmagic.export.jobspec import job_spec
from amlmagic.magics import run_aml
from amlmagic.session import current_session, reset_session

from .conftest import exported_yamls, load_exported

TRAIN_PY = """\
import os
os.makedirs("outputs/model", exist_ok=True)
with open("outputs/model/weights.txt", "w") as f:
    f.write("0.75")
"""

EVAL_PY = """\
import glob, os, sys
(weights,) = glob.glob(os.path.join(sys.argv[1], "**", "weights.txt"), recursive=True)
os.makedirs(sys.argv[2], exist_ok=True)
with open(os.path.join(sys.argv[2], "score.txt"), "w") as f:
    f.write("score " + open(weights).read())
"""

PREP_PY = """\
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
with open(os.path.join(sys.argv[1], "rows.txt"), "w") as f:
    f.write("row-a\\nrow-b\\n")
"""

READ_PY = """\
import os, sys
print("folder:", open(os.path.join(sys.argv[1], "rows.txt")).read().split())
print("file:", open(sys.argv[2]).read().split())
"""

ENV = "environment:\n  image: python:3.11-slim\ncompute: local\n"
TRAIN_JOB = "command: python train.py\ncode: ./src\ndisplay_name: train\n" + ENV
EVAL_JOB = ("command: python eval.py ${{inputs.model}} ${{outputs.report}}\ncode: ./src\ndisplay_name: evaluate\n"
            "inputs:\n  model:\n    type: custom_model\n    path: azureml:mnist-cnn:1\n"
            "outputs:\n  report:\n    type: uri_folder\n" + ENV)
PREP_JOB = ("command: python prep.py ${{outputs.prepped}}\ncode: ./src\ndisplay_name: prep\n"
            "outputs:\n  prepped:\n    type: uri_folder\n" + ENV)


def read_job(prep: str) -> str:
    """A train job reading the prep job's output in both URI forms: the output, a file inside it."""
    return ("command: python read.py ${{inputs.rows}} ${{inputs.first}}\ncode: ./src\ndisplay_name: read rows\n"
            f"inputs:\n  rows:\n    type: uri_folder\n    path: azureml://jobs/{prep}/outputs/prepped\n"
            f"  first:\n    type: uri_file\n    path: azureml://jobs/{prep}/outputs/prepped/paths/rows.txt\n" + ENV)


def write_sources(folder: Path) -> None:
    (folder / "src").mkdir()
    for name, text in (("train.py", TRAIN_PY), ("eval.py", EVAL_PY), ("prep.py", PREP_PY), ("read.py", READ_PY)):
        (folder / "src" / name).write_text(text)


def submit(cell: str):
    client = current_session().client
    job = client.jobs.wait(run_aml("job create", cell).name)
    assert job.status == "Completed", client.jobs.read_log(job.name)[0]
    return job


def az_commands(folder: Path) -> list[str]:
    subprocess.run(["bash", "-n", str(folder / "deploy.sh")], check=True)
    return [line for line in (folder / "deploy.sh").read_text().splitlines() if "az ml " in line]


def verbs(commands: list[str]) -> list[list[str]]:
    return [c.split("az ml ")[1].split()[0:2] for c in commands]


def yaml_of(folder: Path, command: str) -> dict:
    return yaml.safe_load((folder / command.split(" -f ")[1].split()[0]).read_text())


def readme_cell(folder: Path) -> str:
    readme = (folder / "README.md").read_text()
    return readme.split("## Re-run locally", 1)[1].split("```\n", 2)[1]


def jobs_by_display_name(client) -> dict:
    return {job.display_name: client.jobs.wait(job.name) for job in client.jobs.list()}



def rerun_export(how: str, folder, ip, az_shim, tmp_path_factory, monkeypatch):
    """Re-create an export in a fresh local workspace, through deploy.sh (with the fake `az`) or
    through the README's `%aml` lines; return the fresh workspace's client."""
    client = reset_session().connect_local(tmp_path_factory.mktemp(f"fresh-{how}") / ".amlmagic")
    if how == "deploy.sh":
        done = az_shim.run(folder / "deploy.sh", COMPUTE="local")
        assert done.returncode == 0, done.stderr + "\n".join(az_shim.lines)
    else:
        monkeypatch.chdir(folder)
        ip.run(readme_cell(folder))
    return client

def test_an_evaluation_job_comes_after_the_model_registered_from_the_train_job(
        ip, workspace, az_shim, tmp_path_factory, monkeypatch):
    write_sources(workspace)
    train = submit(TRAIN_JOB)
    run_aml(f"model create -n mnist-cnn -p azureml://jobs/{train.name}/outputs/artifacts/paths/outputs/model/")
    evaluation = submit(EVAL_JOB)
    client = current_session().client
    assert (client.jobs.local_dir(evaluation.name) / "outputs/report/score.txt").read_text() == "score 0.75"
    run_aml("export")
    folder = workspace / "aml-export"
    for path in exported_yamls(folder):
        load_exported(path)

    commands = az_commands(folder)
    assert verbs(commands) == [["job", "create"], ["job", "stream"], ["model", "create"], ["job", "create"]]
    assert commands[0].startswith("JOB_1=$(az ml job create")
    assert yaml_of(folder, commands[0])["display_name"] == "train"
    assert commands[1].startswith('az ml job stream -n "${JOB_1}"')
    assert '--set "path=azureml://jobs/${JOB_1}/outputs/artifacts/paths/outputs/model/"' in commands[2]
    assert commands[3].startswith("JOB_2=$(az ml job create") and "--set inputs." not in commands[3]
    second = yaml_of(folder, commands[3])
    assert second["display_name"] == "evaluate" and second["inputs"]["model"]["path"] == "azureml:mnist-cnn:1"

    for rerun in ("deploy.sh", "readme"):
        client = rerun_export(rerun, folder, ip, az_shim, tmp_path_factory, monkeypatch)
        again = jobs_by_display_name(client)
        assert {name: job.status for name, job in again.items()} == {"train": "Completed", "evaluate": "Completed"}
        model = client.models.get("mnist-cnn", version="1")
        assert model.path.startswith(f"azureml://jobs/{again['train'].name}/outputs/artifacts/")
        report = client.jobs.local_dir(again["evaluate"].name) / "outputs/report/score.txt"
        assert report.read_text() == "score 0.75", rerun


def test_a_job_reading_another_jobs_output_keeps_the_reference(ip, workspace, az_shim, tmp_path_factory, monkeypatch):
    write_sources(workspace)
    prep = submit(PREP_JOB)
    submit(read_job(prep.name))
    run_aml("export")
    folder = workspace / "aml-export"
    for path in exported_yamls(folder):
        load_exported(path)

    commands = az_commands(folder)
    assert verbs(commands) == [["job", "create"], ["job", "stream"], ["job", "create"]]
    assert commands[1].startswith('az ml job stream -n "${JOB_1}"')
    assert commands[2].startswith("JOB_2=$(az ml job create")
    assert '--set "inputs.rows.path=azureml://jobs/${JOB_1}/outputs/prepped"' in commands[2]
    assert '--set "inputs.first.path=azureml://jobs/${JOB_1}/outputs/prepped/paths/rows.txt"' in commands[2]
    reader_yaml = folder / commands[2].split(" -f ")[1].split()[0]
    reader = yaml.safe_load(reader_yaml.read_text())
    # the YAML keeps the session's URI (it loads as it is); deploy.sh's --set names the new job
    assert reader["inputs"]["rows"]["path"] == f"azureml://jobs/{prep.name}/outputs/prepped"
    assert not (reader_yaml.parent / "inputs").exists()
    assert not any(p.name == "rows.txt" for p in folder.rglob("*")), "the prep output was copied"

    for rerun in ("deploy.sh", "readme"):
        client = rerun_export(rerun, folder, ip, az_shim, tmp_path_factory, monkeypatch)
        again = jobs_by_display_name(client)
        reading = again["read rows"]
        assert reading.status == "Completed", client.jobs.read_log(reading.name)[0]
        inputs = job_spec(reading)["inputs"]
        assert inputs["rows"]["path"] == f"azureml://jobs/{again['prep'].name}/outputs/prepped"
        log = client.jobs.read_log(reading.name)[0]
        assert "folder: ['row-a', 'row-b']" in log and "file: ['row-a', 'row-b']" in log, rerun


def test_output_of_a_job_that_is_not_exported_is_copied(workspace):
    write_sources(workspace)
    prep = submit(PREP_JOB)
    reset_session().connect_local(workspace / ".amlmagic")  # a new kernel: prep is not in the trail
    submit(read_job(prep.name))
    run_aml("export")
    folder = workspace / "aml-export"
    (job_yaml,) = folder.glob("jobs/*/job.yml")
    spec = yaml.safe_load(job_yaml.read_text())
    assert spec["inputs"]["rows"]["path"] == "./inputs/rows/prepped"
    assert (job_yaml.parent / "inputs/rows/prepped/rows.txt").read_text() == "row-a\nrow-b\n"
    assert (job_yaml.parent / spec["inputs"]["first"]["path"]).read_text() == "row-a\nrow-b\n"
    script = (folder / "deploy.sh").read_text()
    assert "--set inputs." not in script and "job stream" not in script
    load_exported(job_yaml)


def test_a_latest_reference_means_the_version_latest_when_the_job_was_created(workspace, az_shim, tmp_path_factory):
    """The job reads mnist-cnn@latest (version 1 then); version 2 is registered from its output
    later. The job depends on version 1 only, so there is no cycle and no note."""
    write_sources(workspace)
    (workspace / "weights").mkdir()
    (workspace / "weights" / "weights.txt").write_text("0.5")
    run_aml("model create -n mnist-cnn -p weights")
    evaluation = submit(EVAL_JOB.replace("azureml:mnist-cnn:1", "azureml:mnist-cnn@latest"))
    run_aml(f"model create -n mnist-cnn -p azureml://jobs/{evaluation.name}/outputs/report")
    run_aml("export")
    folder = workspace / "aml-export"
    readme = (folder / "README.md").read_text()
    assert "depend on each other" not in readme
    commands = az_commands(folder)
    assert verbs(commands) == [["model", "create"], ["job", "create"], ["job", "stream"], ["model", "create"]]
    assert re.search(r"models/mnist-cnn-1/", commands[0]) and re.search(r"models/mnist-cnn-2/", commands[3])

    client = reset_session().connect_local(tmp_path_factory.mktemp("fresh") / ".amlmagic")
    done = az_shim.run(folder / "deploy.sh", COMPUTE="local")
    assert done.returncode == 0, done.stderr + "\n".join(az_shim.lines)
    (again,) = client.jobs.list()
    assert client.models.get("mnist-cnn", version="2").path.startswith(f"azureml://jobs/{again.name}/outputs/report")


def test_items_that_depend_on_each_other_do_not_hang_the_order():
    """Two jobs that each read the other's output cannot come out of one session, but the order
    must still end: kind order for what is left, and a README note."""
    from azure.ai.ml import Input
    from azure.ai.ml.entities import CommandJob

    from amlmagic.export.references import deploy_order
    from amlmagic.export.trail import TrailItem

    def job(name: str, reads: str) -> TrailItem:
        entity = CommandJob(name=name, command="echo ${{inputs.x}}", environment="azureml:env:1", compute="local",
                            inputs={"x": Input(type="uri_folder", path=f"azureml://jobs/{reads}/outputs/o")})
        return TrailItem("job", ("job", name), entity, None, f"%aml job create -n {name}")

    first, second = job("first", reads="second"), job("second", reads="first")
    ordered, notes = deploy_order([first, second])
    assert [i.entity.name for i in ordered] == ["first", "second"]
    assert len(notes) == 1 and "depend on each other" in notes[0]


def test_a_sweep_keeps_a_top_level_input_from_an_exported_job(workspace, tmp_path_factory):
    """A sweep holds its inputs at the top level (the trial reads `${{inputs.rows}}`), so deploy.sh
    overrides `inputs.rows.path` there; the exported YAML loads with and without the override."""
    from azure.ai.ml import load_job

    from amlmagic.export.build import build_yaml, dump_yaml
    from amlmagic.export.files import Placer
    from amlmagic.export.trail import TrailItem

    write_sources(workspace)
    (workspace / "sweep.yml").write_text(
        "type: sweep\ncompute: local\ninputs:\n  rows:\n    type: uri_folder\n"
        "    path: azureml://jobs/prep_job_1/outputs/prepped\n"
        "trial:\n  command: python read.py ${{inputs.rows}} ${{search_space.n}}\n  code: ./src\n"
        "  environment:\n    image: python:3.11-slim\n"
        "search_space:\n  n:\n    type: choice\n    values: [1, 2]\nsampling_algorithm: random\n"
        "objective:\n  primary_metric: acc\n  goal: maximize\nlimits:\n  max_total_trials: 2\n")
    sweep = load_job(str(workspace / "sweep.yml"))
    folder = tmp_path_factory.mktemp("export")
    item = TrailItem("job", ("job", "tune"), sweep, str(workspace), "%aml job create -f sweep.yml")
    out = build_yaml(item, Placer(folder, copy=True), current_session().client, jobs={"prep_job_1": "prep_job_1"})
    assert [tuple(link) for link in out.links] == [("inputs.rows.path", "prep_job_1", "outputs/prepped")]
    (folder / "job.yml").write_text(dump_yaml(out.spec))
    assert not (folder / "inputs").exists()
    assert load_job(str(folder / "job.yml")).inputs["rows"].path == "azureml://jobs/prep_job_1/outputs/prepped"
    override = {"inputs.rows.path": "azureml://jobs/new/outputs/prepped"}
    again = load_job(str(folder / "job.yml"), params_override=[override])
    assert type(again).__name__ == "SweepJob" and again.inputs["rows"].path == "azureml://jobs/new/outputs/prepped"
