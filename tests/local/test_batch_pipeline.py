"""Pipeline component deployments (`type: pipeline`): invoking one runs the component as a
pipeline job on the local pipeline engine, with the invocation's inputs and the deployment's
settings; the job is listed among the endpoint's jobs."""

from __future__ import annotations

import textwrap

import pytest

from amlmagic.errors import UnsupportedError
from amlmagic.local.client import LocalMLClient

COMPONENT = textwrap.dedent("""
    $schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
    name: hello_batch
    version: 1
    type: pipeline
    inputs:
      greeting: {type: string, default: hello}
      data: {type: uri_folder}
    outputs:
      out: {type: uri_folder}
    jobs:
      main_job:
        type: command
        inputs:
          greeting: ${{parent.inputs.greeting}}
          data: ${{parent.inputs.data}}
        outputs:
          out: ${{parent.outputs.out}}
        component:
          code: src
          environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
          inputs:
            greeting: {type: string}
            data: {type: uri_folder}
          outputs:
            out: {type: uri_folder}
          command: >-
            python hello.py ${{inputs.greeting}} ${{inputs.data}} ${{outputs.out}}
""")

HELLO = """\
import os, sys
greeting, data, out = sys.argv[1:]
with open(os.path.join(out, "hello.txt"), "w") as f:
    f.write(f"{greeting} {len(os.listdir(data))}")
"""


def test_a_pipeline_deployment_runs_its_component_as_a_pipeline_job(tmp_path, monkeypatch):
    from azure.ai.ml import Input
    from azure.ai.ml.entities import BatchEndpoint
    from azure.ai.ml.entities._load_functions import load_pipeline_component_batch_deployment

    monkeypatch.chdir(tmp_path)
    (tmp_path / "hello-component" / "src").mkdir(parents=True)
    (tmp_path / "hello-component" / "hello.yml").write_text(COMPONENT)
    (tmp_path / "hello-component" / "src" / "hello.py").write_text(HELLO)
    (tmp_path / "data").mkdir()
    for i in range(3):
        (tmp_path / "data" / f"{i}.txt").write_text("x")
    (tmp_path / "deployment.yml").write_text(
        "name: hello-dpl\nendpoint_name: hello-pipeline\ntype: pipeline\n"
        "component: hello-component/hello.yml\nsettings:\n  default_compute: local\n")
    client = LocalMLClient(tmp_path / ".amlmagic")
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="hello-pipeline")).result()
    deployment = client.batch_deployments.begin_create_or_update(
        load_pipeline_component_batch_deployment(str(tmp_path / "deployment.yml"))).result()
    assert type(deployment).__name__ == "PipelineComponentBatchDeployment"
    assert client.batch_deployments.get("hello-dpl", "hello-pipeline").settings == {"default_compute": "local"}

    started = client.batch_endpoints.invoke(
        "hello-pipeline", deployment_name="hello-dpl", inputs={"data": Input(type="uri_folder", path=str(tmp_path / "data"))},
        params_override=[{"inputs.greeting": "hi"}])
    job = client.jobs.wait(started.name, timeout=180)
    assert (job.type, job.status) == ("pipeline", "Completed"), job.properties.get("error")
    step = client.jobs.list(parent_job_name=job.name)[0]
    client.jobs.download(step.name, download_path=tmp_path / "dl", output_name="out")
    assert (tmp_path / "dl" / "named-outputs" / "out" / "hello.txt").read_text() == "hi 3"
    assert [j.name for j in client.batch_endpoints.list_jobs("hello-pipeline")] == [job.name]

    (tmp_path / "registered.yml").write_text(
        "name: reg-dpl\nendpoint_name: hello-pipeline\ntype: pipeline\ncomponent: azureml:hello_batch@latest\n")
    with pytest.raises(UnsupportedError, match="registered pipeline components are not available locally"):
        client.batch_deployments.begin_create_or_update(
            load_pipeline_component_batch_deployment(str(tmp_path / "registered.yml")))
