"""The pipeline contract scenario (registered in scenarios.py): a two-step pipeline (prepare ->
train, train reading prepare's output) submitted, waited for, its steps listed as child jobs,
a step shown, its log read and streamed; then the same pipeline submitted again, every step
reused from the first run (`azureml.isreused`, `azureml.reusedrunid`), as Azure reuses a
deterministic step whose component and inputs are unchanged.

Locally the steps run for real (train prints JOB_LOG); on Azure (the fake server of
tests/backends) each step's run writes that log and reuse is the service's."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from amlmagic.client import AmlClient

__all__ = ["pipeline_steps_show_list_reuse", "PIPELINE_YML"]

_PREPARE = "import pathlib, sys; pathlib.Path(sys.argv[1], 'n.txt').write_text('3')"
_TRAIN = "import sys; print('epoch 1 loss 0.9'); print('epoch 2 loss 0.5')"
PIPELINE_YML = f"""\
type: pipeline
name: {{name}}
display_name: contract pipeline
experiment_name: contract
settings: {{{{default_compute: serverless}}}}
jobs:
  prepare:
    command: python -c "{_PREPARE}" ${{{{{{{{outputs.numbers}}}}}}}}
    environment: azureml:contract-env:1
    outputs:
      numbers: {{{{type: uri_folder}}}}
  train:
    command: python -c "{_TRAIN}" ${{{{{{{{inputs.numbers}}}}}}}}
    environment: azureml:contract-env:1
    inputs:
      numbers: ${{{{{{{{parent.jobs.prepare.outputs.numbers}}}}}}}}
"""


def _submit(client: AmlClient, name: str):
    from azure.ai.ml import load_job

    job = client.jobs.create_or_update(load_job(io.StringIO(PIPELINE_YML.format(name=name))))
    assert (job.name, job.type, job.experiment_name) == (name, "pipeline", "contract")
    done = client.jobs.wait(name, timeout=300)
    assert done.status == "Completed", [(s.display_name, s.status) for s in client.jobs.list(parent_job_name=name)]
    return {step.display_name: step for step in client.jobs.list(parent_job_name=name)}


def pipeline_steps_show_list_reuse(client: AmlClient, world) -> None:
    from azure.ai.ml.entities import Environment
    from scenarios import IMAGE, JOB_LOG  # scenarios.py registers this scenario

    client.environments.create_or_update(Environment(name="contract-env", version="1", image=IMAGE))
    first = _submit(client, "contract-pipe-1")
    assert {key: step.status for key, step in first.items()} == {"prepare": "Completed", "train": "Completed"}
    assert not any((step.properties or {}).get("azureml.isreused") == "true" for step in first.values())

    train = client.jobs.get(first["train"].name)
    assert (train.name, train.display_name, train.status) == (first["train"].name, "train", "Completed")
    text, offset = client.jobs.read_log(train.name)
    assert JOB_LOG in text and offset == len(text.encode())
    out = io.StringIO()
    with redirect_stdout(out):
        client.jobs.stream(train.name)
    assert f"RunId: {train.name}" in out.getvalue() and JOB_LOG in out.getvalue()
    assert "Execution Summary" in out.getvalue()

    second = _submit(client, "contract-pipe-2")  # unchanged: every step reused from the first run
    assert {key: ((step.properties or {}).get("azureml.isreused"), (step.properties or {}).get("azureml.reusedrunid"))
            for key, step in second.items()} == {key: ("true", step.name) for key, step in first.items()}
