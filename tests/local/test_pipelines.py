"""Pipeline jobs on the local backend, end to end: real child jobs run by the detached controller,
data flowing through bindings, reuse and why each step ran, step failure, cancel, bad input."""


import json
import textwrap
from pathlib import Path

import pytest
from azure.ai.ml import Input, Output, command, dsl, load_job

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient

PREPARE = "import sys, pathlib\npathlib.Path(sys.argv[1], 'numbers.txt').write_text('1 2 3 4')\nprint('prepared')\n"
TOTAL = ("import sys, pathlib\nn = sum(map(int, pathlib.Path(sys.argv[1], 'numbers.txt').read_text().split()))\n"
         "pathlib.Path(sys.argv[2], 'total.txt').write_text(str(n * int(sys.argv[3])))\nprint('total', n)\n")

PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: sums
experiment_name: pipelines-test
settings:
  default_compute: azureml:local
  continue_on_step_failure: {keep_going}
inputs:
  factor: 10
outputs:
  result:
    type: uri_folder
jobs:
  prepare:
    command: python prepare.py ${{{{outputs.numbers}}}}
    code: ./prep
    environment: azureml:AzureML-sklearn-1.5@latest
    outputs:
      numbers:
        type: uri_folder
  total:
    command: python total.py ${{{{inputs.numbers}}}} ${{{{outputs.total}}}} ${{{{inputs.factor}}}}
    code: ./src
    environment: azureml:AzureML-sklearn-1.5@latest
    inputs:
      numbers: ${{{{parent.jobs.prepare.outputs.numbers}}}}
      factor: ${{{{parent.inputs.factor}}}}
    outputs:
      total: ${{{{parent.outputs.result}}}}
  side:
    command: {side}
    environment: azureml:AzureML-sklearn-1.5@latest
"""


@pytest.fixture
def client(tmp_path):
    return LocalMLClient(tmp_path / ".amlmagic")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "prep").mkdir()  # each step's own code: a change to one snapshot reruns only its step
    (tmp_path / "prep" / "prepare.py").write_text(PREPARE)
    (tmp_path / "src" / "total.py").write_text(TOTAL)
    return tmp_path


def write_pipeline(project: Path, keep_going: bool = False, side: str = "echo side") -> Path:
    path = project / "pipeline.yml"
    path.write_text(PIPELINE.format(keep_going=str(keep_going).lower(), side=side))
    return path


def run(client, path_or_job, **overrides):
    job = load_job(path_or_job, params_override=[overrides] if overrides else []) \
        if isinstance(path_or_job, Path) else path_or_job
    created = client.jobs.create_or_update(job)
    finished = client.jobs.wait(created.name, timeout=120)
    steps = {child.display_name: child for child in client.jobs.list(parent_job_name=created.name)}
    return finished, steps


def log_of(client, name: str) -> str:
    return client.jobs.read_log(name, 0)[0]


def test_steps_run_as_child_jobs_and_data_flows_through_bindings(client, project):
    pipeline, steps = run(client, write_pipeline(project))
    assert pipeline.status == "Completed" and type(pipeline).__name__ == "PipelineJob"
    assert set(steps) == {"prepare", "total", "side"}
    assert all(s.status == "Completed" and s.parent_job_name == pipeline.name for s in steps.values())
    assert "total 10" in log_of(client, steps["total"].name)
    # the step output bound to the pipeline output sits at the default datastore location
    total_dir = client.root / "datastores/workspaceblobstore/azureml" / steps["total"].name / "total"
    assert (total_dir / "total.txt").read_text() == "100"
    assert [j.name for j in client.jobs.list()] [:1] == [pipeline.name]  # steps are not top-level jobs
    shown = client.jobs.get(pipeline.name)
    assert set(shown.jobs) == {"prepare", "total", "side"}
    assert "step total" in log_of(client, pipeline.name)


def test_an_unchanged_pipeline_is_reused_whole_and_a_code_change_reruns_what_it_touches(client, project):
    path = write_pipeline(project)
    first, first_steps = run(client, path)
    second, steps = run(client, path)
    assert second.status == "Completed"
    for key, step in steps.items():
        props = step.properties
        assert props["azureml.isreused"] == "true"
        assert props["azureml.reusedrunid"] == first_steps[key].name
        assert props["amlmagic.reuse"].startswith("reused")
        assert log_of(client, step.name) == log_of(client, first_steps[key].name)  # the original's log

    (project / "src" / "total.py").write_text(TOTAL + "# a comment\n")
    third, steps = run(client, path)
    assert third.status == "Completed"
    assert steps["prepare"].properties.get("azureml.isreused") == "true"
    assert "azureml.isreused" not in steps["total"].properties
    assert steps["total"].properties["amlmagic.reuse"] == "ran: code: total.py changed"
    assert "total 10" in log_of(client, steps["total"].name)  # it read the reused step's output

    _, steps = run(client, path, **{"inputs.factor": 3})
    assert steps["total"].properties["amlmagic.reuse"] == "ran: input factor: 10 -> 3"
    assert steps["prepare"].properties.get("azureml.isreused") == "true"


def test_force_rerun_and_non_deterministic_components_run_again(client, project):
    path = write_pipeline(project)
    run(client, path)
    _, steps = run(client, path, **{"settings.force_rerun": True})
    assert all("azureml.isreused" not in s.properties for s in steps.values())
    assert steps["side"].properties["amlmagic.reuse"] == "ran: force_rerun is set on the pipeline"
    (project / "side.yml").write_text("type: command\nname: side\nis_deterministic: false\ncommand: echo side\n"
                                      "environment: azureml:AzureML-sklearn-1.5@latest\n")
    text = path.read_text().replace("    command: echo side\n", "    component: ./side.yml\n")
    path.write_text(text.replace("  side:\n    environment: azureml:AzureML-sklearn-1.5@latest\n", "  side:\n"))
    for _ in range(2):
        _, steps = run(client, path)
        assert steps["side"].properties["amlmagic.reuse"].startswith("ran: its component is not deterministic")
    assert steps["prepare"].properties.get("azureml.isreused") == "true"


def test_a_failed_step_stops_the_pipeline_by_default(client, project):
    pipeline, steps = run(client, write_pipeline(project, side="sleep 30"),
                          **{"jobs.prepare.command": "python -c 'raise SystemExit(3)'"})
    assert pipeline.status == "Failed"
    assert "step prepare ended Failed" in pipeline.properties["error"]
    assert steps["prepare"].status == "Failed"
    assert steps["side"].status == "Canceled"  # a running independent step is canceled
    assert "total" not in steps  # never started: no child job


def test_continue_on_step_failure_runs_what_does_not_depend_on_the_failure(client, project):
    pipeline, steps = run(client, write_pipeline(project, keep_going=True, side="sleep 1; echo done"),
                          **{"jobs.prepare.command": "python -c 'raise SystemExit(3)'"})
    assert pipeline.status == "Failed"
    assert (steps["prepare"].status, steps["side"].status) == ("Failed", "Completed")
    assert "total" not in steps


def test_a_fixed_pipeline_resumes_from_the_failed_step(client, project):
    path = write_pipeline(project)
    (project / "src" / "total.py").write_text("raise SystemExit('a bug')\n")
    failed, first = run(client, path)
    assert failed.status == "Failed" and first["total"].status == "Failed"
    (project / "src" / "total.py").write_text(TOTAL)
    fixed, steps = run(client, path)
    assert fixed.status == "Completed"
    assert steps["prepare"].properties["azureml.reusedrunid"] == first["prepare"].name
    assert steps["total"].properties["amlmagic.reuse"] == "ran: code: total.py changed"


def test_cancel_stops_the_running_steps_and_starts_no_more(client, project):
    created = client.jobs.create_or_update(load_job(write_pipeline(project), params_override=[
        {"jobs.prepare.command": "sleep 60"}, {"jobs.side.command": "sleep 60"}]))
    import time

    deadline = time.monotonic() + 30
    while len(client.jobs.list(parent_job_name=created.name)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    client.jobs.begin_cancel(created.name).result()
    done = client.jobs.wait(created.name, timeout=30)
    assert done.status == "Canceled"
    steps = {s.display_name: s for s in client.jobs.list(parent_job_name=created.name)}
    assert {s.status for s in steps.values()} == {"Canceled"} and "total" not in steps


def test_a_dsl_pipeline_runs(client, tmp_path):
    greet = command(name="greet", command="echo hello ${{inputs.who}} > ${{outputs.out}}/hello.txt",
                    inputs={"who": Input(type="string")}, outputs={"out": Output(type="uri_folder")},
                    environment="azureml:AzureML-sklearn-1.5@latest").component
    show = command(name="show", command="cat ${{inputs.src}}/hello.txt",
                   inputs={"src": Input(type="uri_folder")}, environment="azureml:AzureML-sklearn-1.5@latest").component

    @dsl.pipeline(default_compute="local")
    def hello(who: str = "world"):
        made = greet(who=who)
        show(src=made.outputs.out)

    pipeline, steps = run(client, hello(who="notebook"))
    assert pipeline.status == "Completed"
    assert "hello notebook" in log_of(client, steps["show"].name)


def test_registered_components_run_by_reference(client, tmp_path):
    component = command(name="shout", command="echo ${{inputs.word}}!", inputs={"word": Input(type="string")},
                        environment="azureml:AzureML-sklearn-1.5@latest").component
    client.components.create_or_update(component)
    (tmp_path / "p.yml").write_text(textwrap.dedent("""
        type: pipeline
        settings: {default_compute: azureml:local}
        jobs:
          a:
            component: azureml:shout@latest
            inputs: {word: hey}
          b:
            component: azureml:shout:1
            inputs: {word: ho}
    """))
    pipeline, steps = run(client, tmp_path / "p.yml")
    assert pipeline.status == "Completed"
    assert "hey!" in log_of(client, steps["a"].name) and "ho!" in log_of(client, steps["b"].name)


@pytest.mark.parametrize("change, error, message", [
    ({"jobs.prepare.inputs": {"x": "${{parent.jobs.total.outputs.total}}"}}, ValidationError, "no input 'x'"),
    ({"jobs.total.inputs.numbers": "${{parent.jobs.nothing.outputs.numbers}}"}, ValidationError, "no such step output"),
    ({"jobs.total.inputs.numbers": "${{parent.jobs.prepare.outputs.nope}}"}, ValidationError, "has no output 'nope'"),
    ({"jobs.total.component.inputs.factor.type": "uri_file"}, ValidationError, "Required input"),
    ({"jobs.prepare.component.outputs.numbers.type": "uri_file"}, ValidationError, "cannot take prepare.outputs.numbers"),
    ({"jobs.side.compute": "azureml:no-such-pool"}, NotFoundError, "jobs.side: compute 'no-such-pool' not found"),
])
def test_bad_pipelines_fail_at_submit_with_one_line_and_write_nothing(client, project, change, error, message):
    job = load_job(write_pipeline(project))
    spec = json.loads(json.dumps(job._to_dict(), default=str))
    for dotted, value in change.items():
        target = spec
        keys = dotted.split(".")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    if "factor.type" in next(iter(change)):  # a required data input with nothing bound
        spec["jobs"]["total"]["inputs"].pop("factor")
    from amlmagic.local.pipeline.controller import submit_pipeline

    with pytest.raises(error) as err:
        submit_pipeline(client.root, spec, base_path=project)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not list((client.root / "jobs").glob("*")) if (client.root / "jobs").exists() else True


def test_a_cycle_and_a_bad_step_name_are_refused(client, project):
    from amlmagic.local.pipeline.controller import submit_pipeline

    spec = json.loads(json.dumps(load_job(write_pipeline(project))._to_dict(), default=str))
    spec["jobs"]["prepare"]["component"]["inputs"] = {"back": {"type": "uri_folder"}}
    spec["jobs"]["prepare"]["inputs"] = {"back": {"path": "${{parent.jobs.total.outputs.total}}"}}
    with pytest.raises(ValidationError, match="cycle"):
        submit_pipeline(client.root, spec, base_path=project)
    spec = json.loads(json.dumps(load_job(write_pipeline(project))._to_dict(), default=str))
    spec["jobs"]["Bad-Step"] = spec["jobs"].pop("side")
    with pytest.raises(ValidationError, match="lowercase Python identifiers"):
        submit_pipeline(client.root, spec, base_path=project)
    with pytest.raises(NotFoundError, match="azureml:nothing:3 not found"):
        spec = json.loads(json.dumps(load_job(write_pipeline(project))._to_dict(), default=str))
        spec["jobs"]["side"]["component"] = "azureml:nothing:3"
        submit_pipeline(client.root, spec, base_path=project)
    assert not (client.root / "jobs").exists() or not any(
        p.name[0] != "." for p in (client.root / "jobs").iterdir())


def test_a_step_may_write_under_the_datastore_folder_it_reads(client, tmp_path):
    (tmp_path / "p.yml").write_text(textwrap.dedent("""
        type: pipeline
        settings: {default_compute: azureml:local}
        outputs:
          out: {path: azureml://datastores/workspaceblobstore/paths/shared/made}
        jobs:
          write:
            command: echo made > ${{outputs.o}}/file.txt && (touch ${{inputs.i}}/forbidden.txt || echo refused)
            environment: azureml:AzureML-sklearn-1.5@latest
            inputs:
              i: {type: uri_folder, path: azureml://datastores/workspaceblobstore/paths/shared}
            outputs:
              o: ${{parent.outputs.out}}
    """))
    (client.root / "datastores/workspaceblobstore/shared").mkdir(parents=True)
    pipeline, steps = run(client, tmp_path / "p.yml")
    assert pipeline.status == "Completed"
    shared = client.root / "datastores/workspaceblobstore/shared"
    assert (shared / "made" / "file.txt").read_text().strip() == "made"
    from amlmagic.local.jobs.readonly import namespaces_available

    if namespaces_available():
        assert not (shared / "forbidden.txt").exists() and "refused" in log_of(client, steps["write"].name)


def test_a_pipeline_output_with_a_name_registers_a_data_asset(client, project):
    path = write_pipeline(project)
    path.write_text(path.read_text().replace("  result:\n    type: uri_folder\n",
                                             "  result:\n    type: uri_folder\n    name: totals\n"))
    pipeline, steps = run(client, path)
    assert pipeline.status == "Completed"
    data = client.data.get("totals", version="1")
    assert data.path.endswith(f"/azureml/{steps['total'].name}/total/")
    assert (client.data.local_path("totals", "1") / "total.txt").read_text() == "100"


SWEEP_PIPELINE = """\
type: pipeline
settings: {default_compute: azureml:local}
jobs:
  tune:
    type: sweep
    trial: ./trial.yml
    inputs: {flag: false}
    sampling_algorithm: grid
    search_space:
      q: {type: choice, values: [1, 3, 2]}
    objective: {goal: maximize, primary_metric: score}
    limits: {max_total_trials: 3, max_concurrent_trials: 2}
  report:
    command: cat ${{inputs.best}}/q.txt
    environment: azureml:AzureML-sklearn-1.5@latest
    inputs:
      best: ${{parent.jobs.tune.outputs.model}}
"""

TRIAL = """\
type: command
name: trial
inputs:
  q: {type: integer, default: 0}
  flag: {type: boolean}
outputs:
  model: {type: uri_folder}
code: ./trial_src
environment: azureml:AzureML-sklearn-1.5@latest
command: python trial.py ${{inputs.q}} ${{inputs.flag}} ${{outputs.model}}
"""


def test_a_sweep_step_runs_with_the_sweep_engine_and_feeds_its_best_trial_downstream(client, tmp_path):
    (tmp_path / "trial_src").mkdir()
    (tmp_path / "trial_src" / "trial.py").write_text(
        "import sys, pathlib, mlflow\nq, flag, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]\n"
        "assert flag == 'False', flag\nmlflow.log_metric('score', q)\npathlib.Path(out, 'q.txt').write_text(f'best q={q}')\n")
    (tmp_path / "trial.yml").write_text(TRIAL)
    (tmp_path / "p.yml").write_text(SWEEP_PIPELINE)
    pipeline, steps = run(client, tmp_path / "p.yml")
    assert pipeline.status == "Completed", pipeline.properties.get("error")
    assert steps["tune"].type == "sweep"
    trials = client.jobs.list(parent_job_name=steps["tune"].name)
    assert len(trials) == 3 and all(t.status == "Completed" for t in trials)
    assert "best q=3" in log_of(client, steps["report"].name)
    again, steps = run(client, tmp_path / "p.yml")
    assert steps["tune"].properties["azureml.isreused"] == "true" and "best q=3" in log_of(client, steps["report"].name)


def test_a_pipeline_outlives_its_controller(client, project):
    """A controller killed mid-run is started again when the pipeline's status is next read; the
    new one adopts the running step and runs the rest, and no step runs twice."""
    import os
    import signal
    import time

    path = write_pipeline(project, side="sleep 2")
    created = client.jobs.create_or_update(load_job(path, params_override=[{"jobs.prepare.command": "sleep 2 && python prepare.py ${{outputs.numbers}}"}]))
    folder = client.root / "jobs" / created.name
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(client.jobs.list(parent_job_name=created.name)) < 2:
        time.sleep(0.05)
    pid = json.loads((folder / "status.json").read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    done = client.jobs.wait(created.name, timeout=120)  # reading the status revives it
    assert done.status == "Completed", done.properties.get("error")
    assert json.loads((folder / "status.json").read_text())["pid"] != pid
    steps = client.jobs.list(parent_job_name=created.name)
    assert sorted(s.display_name for s in steps) == ["prepare", "side", "total"]
    assert "total 10" in log_of(client, next(s.name for s in steps if s.display_name == "total"))


def test_a_pipeline_step_may_be_distributed(client, tmp_path):
    (tmp_path / "p.yml").write_text(textwrap.dedent("""
        type: pipeline
        settings: {default_compute: azureml:local}
        jobs:
          train:
            command: python -c "import os; print('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'])"
            environment: azureml:AzureML-sklearn-1.5@latest
            distribution: {type: pytorch, process_count_per_instance: 2}
    """))
    pipeline, steps = run(client, tmp_path / "p.yml")
    assert pipeline.status == "Completed"
    step = steps["train"].name
    assert client.jobs.log_names(step) == ["std_log_process_00.txt", "std_log_process_01.txt"]
    assert "rank 1 of 2" in client.jobs.read_log(step, 0, log="std_log_process_01.txt")[0]


def test_a_step_whose_runner_was_never_started_is_started_by_the_next_controller(client, project):
    """The window a revived controller must cover: the dead one saved the step as Starting and
    wrote its job folder, but died before launching the job's runner."""
    from amlmagic.local.jobs.plan import submit_plan
    from amlmagic.local.pipeline.controller import STATE_FILE, PipelineController, launch_controller, submit_pipeline
    from amlmagic.local.pipeline.steps import step_spec

    spec = json.loads(json.dumps(load_job(write_pipeline(project))._to_dict(), default=str))
    name = submit_pipeline(client.root, spec, base_path=project, start=False)
    folder = client.root / "jobs" / name
    controller = PipelineController(folder)
    step = controller.graph.steps["side"]
    submit_plan(client.root, step_spec(controller.graph, step, "side_job_1", {}, "pipelines-test"), name="side_job_1",
                base_path=project, parent_job_name=name, start=False)
    state = json.loads((folder / STATE_FILE).read_text())
    # what `_start` saves before it submits: the job's name and the step's fingerprint
    state["steps"]["side"].update({"status": "Starting", "job": "side_job_1", "identity": "test/side", "parts": {},
                                   "fingerprint": "f", "reusable": False})
    (folder / STATE_FILE).write_text(json.dumps(state))
    launch_controller(folder)
    done = client.jobs.wait(name, timeout=120)
    assert done.status == "Completed", done.properties.get("error")
    side = [s for s in client.jobs.list(parent_job_name=name) if s.display_name == "side"]
    assert [s.name for s in side] == ["side_job_1"] and "side" in log_of(client, "side_job_1")
