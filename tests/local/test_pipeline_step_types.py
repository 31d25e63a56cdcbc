"""Step types the local engine does not run (a `parallel` step, a nested pipeline): refused at
submit with one line naming the step and saying what to do instead; nothing is written."""

import pytest
from azure.ai.ml import load_job

from amlmagic.errors import ValidationError
from amlmagic.local.client import LocalMLClient

PARALLEL = """\
type: pipeline
settings: {default_compute: azureml:local}
jobs:
  score:
    type: parallel
    inputs:
      data: {type: uri_folder, path: ./data}
    outputs:
      scored: {type: uri_folder}
    input_data: ${{inputs.data}}
    mini_batch_size: "1"
    task:
      type: run_function
      code: ./src
      entry_script: score.py
      environment: azureml:AzureML-sklearn-1.5@latest
"""
NESTED = """\
type: pipeline
settings: {default_compute: azureml:local}
jobs:
  inner:
    type: pipeline
    component: ./inner.yml
"""
INNER = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: inner_pipeline
jobs:
  hello:
    type: command
    command: echo hello
    environment: azureml:AzureML-sklearn-1.5@latest
"""


@pytest.mark.parametrize("yaml, step, instead", [
    (PARALLEL, "score", "make it a command step that loops over its input's files"),
    (NESTED, "inner", "move the nested pipeline's steps into this pipeline's jobs:"),
])
def test_a_step_type_that_cannot_run_locally_is_refused_with_what_to_do(tmp_path, yaml, step, instead):
    (tmp_path / "data").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def run(batch):\n    return batch\n")
    (tmp_path / "inner.yml").write_text(INNER)
    (tmp_path / "pipeline.yml").write_text(yaml)
    client = LocalMLClient(tmp_path / ".amlmagic")
    with pytest.raises(ValidationError) as refused:
        client.jobs.create_or_update(load_job(tmp_path / "pipeline.yml"))
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"jobs.{step}: step type ") and "cannot run locally yet" in message
    assert instead in message and "%aml connect --subscription" in message
    assert list(client.jobs.list()) == []
