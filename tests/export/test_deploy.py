"""amlmagic.export.deploy and .trail and .references: deploy.sh survives hostile names and
values under real bash, the trail reduces to final states, and references stay whole."""

from __future__ import annotations

import subprocess

import yaml

from amlmagic.export.deploy import Step, aml_line, render_deploy_sh
from amlmagic.export.trail import final_items
from amlmagic.magics import run_aml
from amlmagic.session import TrailEntry, current_session, reset_session


def test_values_are_quoted_for_bash_and_variables_still_expand(tmp_path):
    tricky = "it's $(touch pwned) `x` \"q\""
    steps = [
        Step("job", "create", ["-f", "jobs/a b/job.yml", "--set", "compute=azureml:$COMPUTE"], capture="JOB_1"),
        Step("model", "create", ["-f", "models/m-1/model.yml", "--set", f"description={tricky}"]),
        Step("model", "create", ["-f", "m.yml", "--set", "path=azureml://jobs/$JOB_1/outputs/artifacts/paths/m/"]),
    ]
    script = render_deploy_sh(steps, {"COMPUTE": ("cpu-cluster", "cluster")}, [])
    (tmp_path / "deploy.sh").write_text(script)
    subprocess.run(["bash", "-n", str(tmp_path / "deploy.sh")], check=True)
    # a fake az that prints its arguments one per line shows what bash passes
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "az").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" >> "$AZ_LOG"\necho name-on-azure\n')
    (tmp_path / "bin" / "az").chmod(0o755)
    log = tmp_path / "az.log"
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "AZ_LOG": str(log), "COMPUTE": "gpu"}
    subprocess.run(["bash", str(tmp_path / "deploy.sh")], check=True, env=env, cwd=tmp_path)
    args = log.read_text().splitlines()
    assert "jobs/a b/job.yml" in args and "compute=azureml:gpu" in args
    assert f"description={tricky}" in args and not (tmp_path / "pwned").exists()
    assert "path=azureml://jobs/name-on-azure/outputs/artifacts/paths/m/" in args
    assert args.count("--workspace-name") == 3


def test_a_missing_secret_stops_the_script_before_any_command(tmp_path):
    script = render_deploy_sh([Step("job", "create", ["-f", "job.yml"])], {}, ["API_TOKEN"])
    (tmp_path / "deploy.sh").write_text(script)
    done = subprocess.run(["bash", str(tmp_path / "deploy.sh")], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "API_TOKEN" in done.stderr


def test_aml_line_replaces_variables_longest_first():
    step = Step("model", "create", ["-f", "m.yml", "--set", "path=azureml://jobs/$JOB_10/outputs/x"])
    line = aml_line(step, {"JOB_1": "one", "JOB_10": "ten"})
    assert line == "%aml model create -f m.yml --set path=azureml://jobs/ten/outputs/x"


def test_trail_keeps_first_position_and_last_state_and_endpoint_delete_takes_deployments():
    from azure.ai.ml.entities import AmlCompute, ManagedOnlineDeployment, ManagedOnlineEndpoint

    trail = [
        TrailEntry.of("online-endpoint", "create", ManagedOnlineEndpoint(name="ep"), line="%aml online-endpoint create -n ep"),
        TrailEntry.of("compute", "create", AmlCompute(name="a", max_instances=1), line="%aml compute create -n a"),
        TrailEntry.of("online-deployment", "create", ManagedOnlineDeployment(name="blue", endpoint_name="ep"),
                      line="%%aml online-deployment create"),
        TrailEntry.of("compute", "create", AmlCompute(name="a", max_instances=5), line="%aml compute create -n a"),
        TrailEntry.of("compute", "use", AmlCompute(name="local"), line="%aml compute use -n local"),
        TrailEntry.of("online-endpoint", "delete", name="ep", line="%aml online-endpoint delete -n ep"),
        TrailEntry.of("online-endpoint", "create", ManagedOnlineEndpoint(name="ep2"), line="%aml online-endpoint create -n ep2"),
    ]
    items = final_items(trail)
    assert [(i.kind, i.entity.name) for i in items] == [("compute", "a"), ("online-endpoint", "ep2")]
    assert items[0].entity.max_instances == 5


def test_things_a_job_uses_from_before_the_session_are_exported_too(workspace):
    (workspace / "job.yml").write_text(
        "command: echo ${{inputs.x}}\ninputs:\n  x:\n    type: uri_file\n    path: azureml:notes:1\n"
        "environment: azureml:old-env:1\ncompute: azureml:pool\n")
    (workspace / "notes.txt").write_text("hello")
    run_aml("data create -n notes -p notes.txt -t uri_file")
    run_aml("environment create -n old-env -i python:3.11-slim")
    run_aml("compute create -n pool")
    reset_session().connect_local(workspace / ".amlmagic")  # a new kernel: the trail is empty
    run_aml("job create -f job.yml")
    assert len(current_session().trail) == 1
    run_aml("export")
    folder = workspace / "aml-export"
    assert (folder / "data/notes-1/notes.txt").read_text() == "hello"
    assert yaml.safe_load((folder / "environments/old-env-1/environment.yml").read_text())["image"] == "python:3.11-slim"
    assert (folder / "computes/pool/compute.yml").is_file()
    readme = (folder / "README.md").read_text()
    assert "created before this session" in readme
    job = yaml.safe_load(next(folder.glob("jobs/*/job.yml")).read_text())
    assert job["compute"] == "azureml:pool" and "--set" not in (folder / "deploy.sh").read_text().split("job create")[1].split("\n")[0]


def test_the_trail_is_read_from_its_actions_not_its_lines():
    """A delete is a delete by its verb and key, whatever the line shows (a widget's line, or none)."""
    from azure.ai.ml.entities import AmlCompute, ManagedOnlineDeployment

    trail = [
        TrailEntry.of("compute", "create", AmlCompute(name="a", max_instances=1), line="clicked Create"),
        TrailEntry.of("online-deployment", "create", ManagedOnlineDeployment(name="blue", endpoint_name="ep")),
        TrailEntry.of("online-deployment", "delete", name="blue", endpoint_name="ep", line="%aml compute create -n a"),
        TrailEntry.of("job", "cancel", name="j1"),
    ]
    assert [(i.kind, i.key) for i in final_items(trail)] == [("compute", ("compute", "a"))]
