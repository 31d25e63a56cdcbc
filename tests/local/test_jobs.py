"""The local job engine end to end: real YAML jobs submitted through client.jobs, run by the
detached runner in real subprocesses, read back from disk."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import wait_for

from amlmagic.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.osutil import process_alive

poll = functools.partial(wait_for, timeout=60.0)

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def submit(client, folder: Path, yaml_text: str, files: dict[str, str] | None = None, params_override=None):
    from azure.ai.ml import load_job

    if "environment:" not in yaml_text:  # the CLI v2 schema requires one
        yaml_text = textwrap.dedent(yaml_text) + CURATED
    write(folder, {"job.yml": yaml_text, **(files or {})})
    return client.jobs.create_or_update(load_job(folder / "job.yml", params_override=params_override or []))


CURATED = "environment: azureml:AzureML-sklearn-1.5@latest\n"




def status_file(client, name: str) -> dict:
    return json.loads((client.jobs.local_dir(name) / "status.json").read_text())


def log_of(client, name: str) -> str:
    return client.jobs.read_log(name)[0]


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return LocalMLClient(tmp_path / ".amlmagic")


@pytest.fixture
def cluster(client):
    """`cpu-cluster`, the compute Azure's examples name, as a local pool."""
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", max_instances=2)).result()
    return "cpu-cluster"


# -- Azure's examples (Azure/azureml-examples cli/jobs/basics), unchanged -----------------------

@pytest.mark.usefixtures("cluster")
def test_hello_world_env_var_example(client, tmp_path):
    job = submit(client, tmp_path, """\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        command: echo $hello_env_var
        environment:
          image: library/python:latest
        compute: azureml:cpu-cluster
        environment_variables:
          hello_env_var: "hello world"
        """)
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Completed"
    assert log_of(client, job.name) == "hello world\n"
    assert "ignores the Docker image library/python:latest" in done.properties["notices"]


@pytest.mark.usefixtures("cluster")
def test_hello_world_input_example(client, tmp_path):
    job = submit(client, tmp_path, """\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        command: |
          echo ${{inputs.hello_string}}
          echo ${{inputs.hello_number}}
        environment:
          image: python:latest
        inputs:
          hello_string: "hello world"
          hello_number: 42
        compute: azureml:cpu-cluster
        """)
    assert client.jobs.wait(job.name, timeout=60).status == "Completed"
    assert log_of(client, job.name) == "hello world\n42\n"


@pytest.mark.usefixtures("cluster")
def test_hello_world_output_example_becomes_artifact(client, tmp_path):
    job = submit(client, tmp_path, """\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        command: echo "hello world" > ./outputs/helloworld.txt
        environment:
          image: python:latest
        compute: azureml:cpu-cluster
        """)
    assert client.jobs.wait(job.name, timeout=60).status == "Completed"
    target = client.jobs.download(job.name, download_path=tmp_path / "dl")
    assert (target / "artifacts" / "outputs" / "helloworld.txt").read_text() == "hello world\n"


@pytest.mark.usefixtures("cluster")
def test_hello_code_and_local_folder_input_examples(client, tmp_path):
    write(tmp_path, {"src/hello.py": "print('hi')\n", "data/somedata.txt": "some data\n"})
    code = submit(client, tmp_path, """\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        command: ls
        code: src
        environment:
          image: python:latest
        compute: azureml:cpu-cluster
        """)
    folder = submit(client, tmp_path, """\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json

        command: |
          ls ${{inputs.my_input}}
        inputs:
          my_input:
            path: ./data
        environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
        compute: azureml:cpu-cluster
        """)
    assert client.jobs.wait(code.name, timeout=60).status == "Completed"
    assert "hello.py" in log_of(client, code.name).split()
    assert client.jobs.wait(folder.name, timeout=60).status == "Completed"
    assert log_of(client, folder.name).split() == ["somedata.txt"]


@pytest.mark.usefixtures("cluster")
def test_hello_mlflow_example_logs_into_the_job_run(client, tmp_path):
    files = {"src/hello-mlflow.py": """\
        import os
        import mlflow
        from random import random

        def main():
            mlflow.log_param("hello_param", "world")
            mlflow.log_metric("hello_metric", random())
            os.system(f"echo 'hello world' > helloworld.txt")
            mlflow.log_artifact("helloworld.txt")

        if __name__ == "__main__":
            main()
        """}
    job = submit(client, tmp_path, """\
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        command: python hello-mlflow.py
        code: src
        environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:3
        compute: azureml:cpu-cluster
        """, files)
    done = client.jobs.wait(job.name, timeout=120)
    assert done.status == "Completed", done.error
    metrics = client.jobs.metrics_reader(job.name).read_new()
    assert list(metrics) == ["hello_metric"] and len(metrics["hello_metric"]) == 1
    assert (client.jobs.local_dir(job.name) / "artifacts" / "helloworld.txt").read_text() == "hello world\n"
    from amlmagic.local.tracking import read_params

    assert read_params(client.root, job.name) == {"hello_param": "world"}


# -- lifecycle, inputs and outputs ------------------------------------------------------------

def test_lifecycle_names_and_entity_fields(client, tmp_path):
    job = submit(client, tmp_path, """\
        command: echo done
        environment: azureml:AzureML-sklearn-1.5@latest
        display_name: my run
        experiment_name: my-exp
        description: a test
        tags: {team: ml}
        """)
    assert job.status in ("Starting", "Preparing", "Queued", "Running", "Finalizing", "Completed")
    done = client.jobs.wait(job.name, timeout=60)
    assert (done.status, done.display_name, done.experiment_name, done.description, done.tags) == (
        "Completed", "my run", "my-exp", "a test", {"team": "ml"})
    assert done.studio_url is None and done.creation_context.created_at
    history = [s for s, _ in status_file(client, job.name)["history"]]
    assert history == ["NotStarted", "Starting", "Preparing", "Running", "Finalizing", "Completed"]
    assert done.properties["StartTimeUtc"] <= done.properties["EndTimeUtc"]
    # The job name is Azure-like and the MLflow run carries the display name.
    from amlmagic.local.tracking import read_tags

    assert read_tags(client.root, job.name)["mlflow.runName"] == "my run"
    assert [j.name for j in client.jobs.list()] == [job.name]


def test_set_overrides_are_kept(client, tmp_path):
    job = submit(client, tmp_path, """\
        command: echo ${{inputs.word}}
        inputs: {word: before}
        """, params_override=[{"inputs.word": "after"}, {"display_name": "overridden"}])
    assert client.jobs.wait(job.name, timeout=60).display_name == "overridden"
    assert log_of(client, job.name) == "after\n"


def test_file_and_folder_inputs_outputs_and_quoting(client, tmp_path):
    write(tmp_path, {
        "in dir/a.txt": "A", "one file.txt": "F",
        "src/copy.py": """\
            import pathlib, shutil, sys
            folder, file, out, text = sys.argv[1:5]
            shutil.copy(pathlib.Path(folder) / "a.txt", pathlib.Path(out) / "a.txt")
            pathlib.Path(out, "f.txt").write_text(pathlib.Path(file).read_text() + text)
            """,
    })
    job = submit(client, tmp_path, """\
        command: >-
          python copy.py ${{inputs.folder}} ${{inputs.file}} ${{outputs.result}} "${{inputs.text}}"
          $[[--missing ${{inputs.not_given}}]]
        code: src
        inputs:
          folder: {type: uri_folder, path: "./in dir", mode: ro_mount}
          file: {type: uri_file, path: "./one file.txt", mode: download}
          text: "it's $HOME `x` \\"q\\""
        outputs:
          result: {type: uri_folder}
        """)
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Completed", done.error
    out = client.jobs.local_dir(job.name) / "outputs" / "result"
    assert (out / "a.txt").read_text() == "A"
    assert (out / "f.txt").read_text() == "Fit's $HOME `x` \"q\""
    target = client.jobs.download(job.name, download_path=tmp_path / "dl", output_name="result")
    assert (target / "named-outputs" / "result" / "a.txt").read_text() == "A"
    # A named output is addressable by URI, so a model can be registered from it.
    from azure.ai.ml.entities import Model

    model = client.models.create_or_update(Model(
        name="from-job", path=f"azureml://jobs/{job.name}/outputs/result/paths/a.txt", type="custom_model"))
    assert client.models.lineage("from-job", model.version)["job"] == job.name


def test_registered_data_and_model_inputs(client, tmp_path):
    from azure.ai.ml.entities import Data, Model

    write(tmp_path, {"d/x.csv": "1,2\n", "m/model.txt": "weights"})
    client.data.create_or_update(Data(name="table", path=str(tmp_path / "d"), type="uri_folder"))
    client.models.create_or_update(Model(name="net", path=str(tmp_path / "m"), type="custom_model"))
    job = submit(client, tmp_path, """\
        command: cat ${{inputs.data}}/x.csv ${{inputs.model}}/model.txt
        inputs:
          data: {type: uri_folder, path: "azureml:table@latest"}
          model: {type: custom_model, path: "azureml:net:1"}
        """)
    assert client.jobs.wait(job.name, timeout=60).status == "Completed"
    assert log_of(client, job.name) == "1,2\nweights"


def test_python_built_command_without_environment(client, tmp_path):
    from azure.ai.ml import command

    job = client.jobs.create_or_update(command(command="python -c \"import sys; print(sys.executable)\"",
                                               display_name="built"))
    assert client.jobs.wait(job.name, timeout=60).status == "Completed"
    assert log_of(client, job.name).strip() == sys.executable


# -- failures ---------------------------------------------------------------------------------

def test_failing_script_ends_failed_with_log_tail(client, tmp_path):
    job = submit(client, tmp_path, """\
        command: python -c "print('about to fail'); raise SystemExit(3)"
        """)
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Failed"
    assert "exited with code 3" in done.error and "about to fail" in done.error
    with pytest.raises(BackendError, match="exited with code 3"):
        client.jobs.stream(job.name, out=open(os.devnull, "w"))
    meta = (next((client.root / "mlruns").glob(f"*/{job.name}")) / "meta.yaml").read_text()
    assert "status: 4" in meta  # MLflow's FAILED


@pytest.mark.parametrize("body, field", [
    ("command: echo ${{inputs.nope}}\n", "inputs.nope"),
    ("command: echo ${{outputs.nope}}\n", "outputs.nope"),
    ("command: cat ${{inputs.f}}\ninputs:\n  f: {type: uri_file, path: ./missing.txt}\n", "inputs.f"),
    ("command: cat ${{inputs.f}}\ninputs:\n  f: {type: uri_folder, path: azureml:nodata:1}\n", "inputs.f"),
    ("command: echo\nenvironment: azureml:no-such-env:1\n", "environment"),
    ("command: echo\ncompute: azureml:no-such-pool\n", "compute"),
])
def test_submit_time_errors_name_the_field_and_create_nothing(client, tmp_path, body, field):
    from azure.ai.ml import load_job

    write(tmp_path, {"job.yml": body if "environment:" in body else body + CURATED})
    job = load_job(tmp_path / "job.yml")
    with pytest.raises((ValidationError, NotFoundError)) as info:
        client.jobs.create_or_update(job)
    assert field.split(".")[0] in str(info.value) and "\n" not in str(info.value)
    jobs = client.root / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())


def test_missing_code_folder_and_duplicate_name(client, tmp_path):
    from azure.ai.ml import command

    (tmp_path / "src").mkdir()
    job = command(command="echo", code="./src", name="dup-job")
    (tmp_path / "src").rmdir()
    with pytest.raises(NotFoundError, match="code"):
        client.jobs.create_or_update(job)
    client.jobs.create_or_update(command(command="echo", name="dup-job"))
    with pytest.raises(AlreadyExistsError):
        client.jobs.create_or_update(command(command="echo", name="dup-job"))
    with pytest.raises(NotFoundError):
        client.jobs.get("never-submitted")


# -- control ----------------------------------------------------------------------------------

SLEEPER = "python -c \"import time; print('started', flush=True); time.sleep(120)\""


def test_cancel_stops_the_process_tree(client, tmp_path):
    job = submit(client, tmp_path, f"command: {SLEEPER}\n")
    poll(lambda: "started" in log_of(client, job.name))
    child = status_file(client, job.name)["child_pid"]
    client.jobs.begin_cancel(job.name).result()
    done = client.jobs.get(job.name)
    assert done.status == "Canceled"
    assert "CancelRequested" in [s for s, _ in status_file(client, job.name)["history"]]
    poll(lambda: not process_alive(child, None), timeout=10)
    meta = (next((client.root / "mlruns").glob(f"*/{job.name}")) / "meta.yaml").read_text()
    assert "status: 5" in meta  # MLflow's KILLED


def test_job_survives_the_submitting_process(client, tmp_path):
    script = tmp_path / "submitter.py"
    script.write_text(textwrap.dedent(f"""\
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from azure.ai.ml import command
        from amlmagic.local.client import LocalMLClient
        c = LocalMLClient({str(client.root)!r})
        job = c.jobs.create_or_update(command(command="sleep 1 && echo survived", name="orphan-job"))
        print(job.name, flush=True)
        os.kill(os.getpid(), 9)  # die abruptly, as a killed kernel does
        """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9 and proc.stdout.strip() == "orphan-job"
    done = client.jobs.wait("orphan-job", timeout=60)
    assert done.status == "Completed" and log_of(client, "orphan-job") == "survived\n"


def test_dead_runner_is_reported_failed(client, tmp_path):
    job = submit(client, tmp_path, f"command: {SLEEPER}\n")
    poll(lambda: "started" in log_of(client, job.name))
    state = status_file(client, job.name)
    os.kill(state["pid"], signal.SIGKILL)
    os.killpg(state["child_pid"], signal.SIGKILL)
    done = poll(lambda: (j := client.jobs.get(job.name)).status in ("Failed", "Completed") and j, timeout=10)
    assert done.status == "Failed" and "runner process" in done.error


def test_pool_with_one_instance_queues_the_second_job(client, tmp_path):
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(AmlCompute(name="single", max_instances=1)).result()
    first = submit(client, tmp_path, f"command: {SLEEPER}\ncompute: azureml:single\n")
    poll(lambda: client.jobs.get(first.name).status == "Running")
    second = submit(client, tmp_path / "b", "command: echo second\ncompute: single\n")
    poll(lambda: client.jobs.get(second.name).status == "Queued")
    client.jobs.cancel(first.name)
    assert client.jobs.wait(second.name, timeout=60).status == "Completed"
    history = [s for s, _ in status_file(client, second.name)["history"]]
    assert history.index("Queued") < history.index("Running")


def test_default_compute_and_thread_split(client, tmp_path):
    from azure.ai.ml.entities import AmlCompute

    client.compute.begin_create_or_update(AmlCompute(name="pool", max_instances=3)).result()
    client.compute.use("pool")
    first = submit(client, tmp_path, f"command: {SLEEPER}\n")
    poll(lambda: client.jobs.get(first.name).status == "Running")
    second = submit(client, tmp_path / "b", "command: echo $OMP_NUM_THREADS $MKL_NUM_THREADS\n")
    assert client.jobs.wait(second.name, timeout=60).properties["compute"] == "pool"
    client.jobs.cancel(first.name)
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert log_of(client, second.name) == f"{share} {share}\n"


def test_metrics_with_and_without_start_run_and_stream(client, tmp_path):
    import io

    files = {"src/train.py": """\
        import mlflow, sys
        if sys.argv[1] == "plain":
            for i in range(3):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        else:
            with mlflow.start_run():
                mlflow.log_metrics({"acc": 0.5, "loss": 0.25}, step=7)
        print("trained")
        """}
    plain = submit(client, tmp_path, "command: python train.py plain\ncode: src\n", files)
    ctx = submit(client, tmp_path, "command: python train.py ctx\ncode: src\n")
    out = io.StringIO()
    client.jobs.stream(plain.name, out=out)
    text = out.getvalue()
    assert text.startswith(f"RunId: {plain.name}") and "trained" in text and "Status: Completed" in text
    assert [(s, v) for s, _, v in client.jobs.metrics_reader(plain.name).read_new()["loss"]] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert client.jobs.wait(ctx.name, timeout=120).status == "Completed"
    got = client.jobs.metrics_reader(ctx.name).read_new()
    assert {k: [(s, v) for s, _, v in pts] for k, pts in got.items()} == {"acc": [(7, 0.5)], "loss": [(7, 0.25)]}


def test_read_log_offsets_never_split_characters(client, tmp_path):
    job = submit(client, tmp_path, "command: printf 'ab\\303\\274cd'\n")
    client.jobs.wait(job.name, timeout=60)
    path = client.jobs.local_dir(job.name) / "user_logs" / "std_log.txt"
    assert path.read_bytes() == "abücd".encode()
    with open(path, "r+b") as f:  # look at the file as a reader would mid-write
        f.truncate(3)
    assert client.jobs.read_log(job.name, 0) == ("ab", 2)
    assert client.jobs.read_log(job.name, 2) == ("", 2)


# -- the engine without azure.ai.ml (a sweep controller's detached process) -----------------------

def test_engine_modules_do_not_import_azure_ai_ml():
    code = ("import sys; import amlmagic.local.jobs.plan, amlmagic.local.jobs.runner; "
            "print([m for m in sys.modules if m.startswith(('azure.ai.ml', 'mlflow'))])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_submit_plan_from_plain_dicts_makes_child_jobs(client, tmp_path):
    from amlmagic.local.jobs.plan import submit_plan

    parent = submit(client, tmp_path, "command: echo parent\n")
    spec = {"command": "echo lr=${{search_space.lr}} $TRIAL", "environment_variables": {"TRIAL": "t1"}}
    child = submit_plan(client.root, spec, name=f"{parent.name}_0", base_path=tmp_path,
                        parent_job_name=parent.name, search_space={"lr": 0.01}, extra_env={"TRIAL": "t0"})
    assert client.jobs.wait(child, timeout=60).status == "Completed"
    assert log_of(client, child) == "lr=0.01 t0\n"
    assert [j.name for j in client.jobs.list(parent_job_name=parent.name)] == [child]
    assert [j.name for j in client.jobs.list()] == [parent.name]
    from amlmagic.local.tracking import read_tags

    assert read_tags(client.root, child)["mlflow.parentRunId"] == parent.name


def test_limits_timeout_cancels_the_job(client, tmp_path):
    job = submit(client, tmp_path, f"command: {SLEEPER}\nlimits:\n  timeout: 1\n")
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Canceled" and "limits.timeout" in done.error
