"""A workspace with real history for lineage tests (local backend, real jobs and servers): a
pipeline whose step output is registered as the data asset `features:1`; a sweep whose trials read
it; the best trial's output registered as `lineage-model:1`; two online deployments of it, blue
(90%) and green (10%), on `lin-ep`; a batch deployment of it, `nightly`, the default of `lin-batch`."""

from __future__ import annotations

from pathlib import Path

import pytest

PREPARE = "import sys, pathlib\npathlib.Path(sys.argv[1], 'features.txt').write_text('1 2 3 4\\n')\n"
TRAIN = ("import sys, pathlib, mlflow\ndata, q, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]\n"
         "assert pathlib.Path(data, 'features.txt').read_text().split() == ['1', '2', '3', '4']\n"
         "mlflow.log_metric('score', -abs(q - 2))\npathlib.Path(out, 'factor.txt').write_text(str(q))\n")
SCORE = ("import json, os, glob\ndef init():\n    global factor\n"
         "    path = glob.glob(os.path.join(os.environ['AZUREML_MODEL_DIR'], '**', 'factor.txt'), recursive=True)[0]\n"
         "    factor = float(open(path).read())\n"
         "def run(raw):\n    return {'result': [x * factor for x in json.loads(raw)['data']]}\n")
PIPELINE = """\
type: pipeline
display_name: prepare-features
settings: {default_compute: azureml:local}
outputs:
  prepared: {type: uri_folder, name: features}
jobs:
  prepare:
    command: python prepare.py ${{outputs.features}}
    code: ./prep
    environment: azureml:AzureML-sklearn-1.5@latest
    outputs:
      features: ${{parent.outputs.prepared}}
"""
SWEEP = """\
type: sweep
display_name: tune
trial:
  code: ./train
  environment: azureml:AzureML-sklearn-1.5@latest
  command: python train.py ${{inputs.data}} ${{search_space.q}} ${{outputs.model}}
inputs:
  data: {type: uri_folder, path: azureml:features:1}
outputs:
  model: {type: uri_folder}
compute: local
sampling_algorithm: grid
search_space:
  q: {type: choice, values: [1, 2, 3]}
objective: {goal: maximize, primary_metric: score}
limits: {max_total_trials: 3, max_concurrent_trials: 3}
"""


class History:
    def __init__(self, root: Path, client, pipeline: str, step: str, sweep: str, best: str):
        self.root, self.client, self.pipeline, self.step, self.sweep, self.best = root, client, pipeline, step, sweep, best


@pytest.fixture(scope="session")  # built once for every lineage test (about 25 s of real jobs)
def history(tmp_path_factory):
    from azure.ai.ml import load_job
    from azure.ai.ml.entities import (
        BatchEndpoint,
        CodeConfiguration,
        ManagedOnlineDeployment,
        ManagedOnlineEndpoint,
        Model,
        ModelBatchDeployment,
    )

    from amlmagic.local.client import LocalMLClient
    from amlmagic.local.serving import stop_endpoint

    root = tmp_path_factory.mktemp("lineage")
    for folder, name, text in (("prep", "prepare.py", PREPARE), ("train", "train.py", TRAIN), ("score", "score.py", SCORE)):
        (root / folder).mkdir()
        (root / folder / name).write_text(text)
    (root / "pipeline.yml").write_text(PIPELINE)
    (root / "sweep.yml").write_text(SWEEP)
    client = LocalMLClient(root / ".amlmagic")
    try:
        pipeline = client.jobs.wait(client.jobs.create_or_update(load_job(root / "pipeline.yml")).name, timeout=180)
        assert pipeline.status == "Completed"
        (step,) = client.jobs.list(parent_job_name=pipeline.name)
        sweep = client.jobs.wait(client.jobs.create_or_update(load_job(root / "sweep.yml")).name, timeout=300)
        assert sweep.status == "Completed"
        best = sweep.properties["best_child_run_id"]
        client.models.create_or_update(Model(name="lineage-model", path=f"azureml://jobs/{best}/outputs/model"))
        client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="lin-ep")).result()
        for color in ("blue", "green"):
            client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
                name=color, endpoint_name="lin-ep", model="azureml:lineage-model:1", instance_type="Standard_DS3_v2",
                instance_count=1, environment="azureml:AzureML-sklearn-1.5@latest",
                code_configuration=CodeConfiguration(code=str(root / "score"), scoring_script="score.py"))).result()
        endpoint = client.online_endpoints.get("lin-ep")
        endpoint.traffic = {"blue": 90, "green": 10}
        client.online_endpoints.begin_create_or_update(endpoint).result()
        # and a batch deployment of it, the default of its endpoint
        client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="lin-batch")).result()
        client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
            name="nightly", endpoint_name="lin-batch", model="azureml:lineage-model:1", compute="local",
            environment="azureml:AzureML-sklearn-1.5@latest",
            code_configuration=CodeConfiguration(code=str(root / "score"), scoring_script="score.py"))).result()
        batch_endpoint = client.batch_endpoints.get("lin-batch")
        batch_endpoint.defaults = {"deployment_name": "nightly"}
        client.batch_endpoints.begin_create_or_update(batch_endpoint).result()
        yield History(root, client, pipeline.name, step.name, sweep.name, best)
    finally:
        for folder in (client.root / "endpoints").glob("*"):
            stop_endpoint(folder)
