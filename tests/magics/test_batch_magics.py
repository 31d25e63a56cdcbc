"""`%aml batch-endpoint|batch-deployment ...` through a real IPython shell on the local backend:
the layout of Microsoft's mnist-classifier example (endpoint.yml, deployment-x/deployment.yml with
code/, model/ and environment/), our own files; real driver and worker processes."""

import textwrap

import pytest
from IPython.core.error import UsageError as IPythonUsageError

SCORER = textwrap.dedent("""
    import glob, os
    import pandas as pd

    def init():
        global offset
        model_file = glob.glob(f"{os.environ['AZUREML_MODEL_DIR']}/*/*.txt")[-1]
        offset = int(open(model_file).read())

    def run(mini_batch):
        rows = [{"file": os.path.basename(p), "class": int(open(p).read()) + offset, "probability": 0.5}
                for p in mini_batch]
        return pd.DataFrame(rows)
""")

DEPLOYMENT = textwrap.dedent("""
    $schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json
    name: digits-dpl
    endpoint_name: digits-batch
    type: model
    model:
      name: digits-offset
      path: model
    code_configuration:
      code: code
      scoring_script: batch_driver.py
    environment:
      name: batch-env
      image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
      conda_file: environment/conda.yaml
    compute: azureml:batch-cluster
    resources:
      instance_count: 1
    settings:
      max_concurrency_per_instance: 2
      mini_batch_size: 3
      output_action: append_row
      output_file_name: predictions.csv
      retry_settings:
        max_retries: 3
        timeout: 30
      error_threshold: -1
      logging_level: info
""")


@pytest.fixture
def example(workspace):
    (workspace / "endpoint.yml").write_text("name: digits-batch\ndescription: digits\ntags:\n  type: test\n")
    dep = workspace / "deployment-x"
    for sub in ("code", "model", "environment"):
        (dep / sub).mkdir(parents=True)
    (dep / "code" / "batch_driver.py").write_text(SCORER)
    (dep / "model" / "offset.txt").write_text("100")
    (dep / "environment" / "conda.yaml").write_text(
        "name: env\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - pandas\n    - azureml-core\n")
    (dep / "deployment.yml").write_text(DEPLOYMENT)
    (workspace / "digits").mkdir()
    for i in range(7):
        (workspace / "digits" / f"{i}.txt").write_text(str(i))
    return workspace


def test_the_example_flow_create_invoke_read_predictions(ip, example):
    import pandas as pd

    ip.run("%aml compute create -n batch-cluster --type amlcompute --min-instances 0 --max-instances 5")
    endpoint = ip.run("%aml batch-endpoint create --file endpoint.yml --name digits-batch")
    assert (type(endpoint).__name__, endpoint.name, endpoint.auth_mode) == ("BatchEndpoint", "digits-batch", "aad_token")
    deployment = ip.run("%aml batch-deployment create --file deployment-x/deployment.yml "
                        "--endpoint-name digits-batch --set-default")
    assert type(deployment).__name__ == "ModelBatchDeployment"
    assert deployment.settings.mini_batch_size == 3
    assert ip.run("%aml batch-endpoint show -n digits-batch").defaults["deployment_name"] == "digits-dpl"
    assert ip.run("%aml batch-deployment show -n digits-dpl -e digits-batch").name == "digits-dpl"

    job = ip.run("%aml batch-endpoint invoke --name digits-batch --input digits --input-type uri_folder --stream")
    assert (job.type, job.status) == ("pipeline", "Completed")
    steps = ip.run(f"%aml job list --parent-job-name {job.name}")
    assert [s.display_name for s in steps] == ["batchscoring"]
    ip.run(f"%aml job download --name {job.name} --output-name score --download-path ./")
    scores = pd.read_csv(example / "named-outputs" / "score" / "predictions.csv", header=None, sep=" ",
                         names=["file", "class", "probability"])
    assert sorted(scores["file"]) == [f"{i}.txt" for i in range(7)]
    assert sorted(scores["class"]) == [100 + i for i in range(7)]

    second = ip.run("%aml batch-endpoint invoke -n digits-batch --input digits --mini-batch-size 2 "
                    "--instance-count 2 --output-path azureml://datastores/workspaceblobstore/paths/digits-out "
                    "--set output_file_name=other.csv --job-name second_digits_job")
    assert second.name == "second_digits_job"
    from amlmagic.session import current_session

    done = current_session().client.jobs.wait(second.name)
    assert done.status == "Completed"
    out = example / ".amlmagic" / "datastores" / "workspaceblobstore" / "digits-out" / "other.csv"
    assert len(out.read_text().splitlines()) == 7
    listed = ip.run("%aml batch-deployment list-jobs --name digits-dpl --endpoint-name digits-batch")
    assert {j.name for j in listed} == {job.name, "second_digits_job"}
    assert {j.name for j in ip.run("%aml batch-endpoint list-jobs -n digits-batch")} == {job.name, "second_digits_job"}

    with pytest.raises(IPythonUsageError, match="default of batch endpoint digits-batch"):
        ip.run("%aml batch-deployment delete --name digits-dpl --endpoint-name digits-batch --yes")
    ip.run("%aml batch-endpoint delete --name digits-batch --yes")
    assert list(ip.run("%aml batch-endpoint list")) == []


def test_update_sets_the_default_and_a_cell_creates(ip, example):
    ip.run("%aml compute create -n batch-cluster --type amlcompute --max-instances 2")
    ip.run("%%aml batch-endpoint create\nname: digits-batch\n")
    body = (example / "deployment-x" / "deployment.yml").read_text().replace("path: model", "path: deployment-x/model")
    body = body.replace("code: code", "code: deployment-x/code").replace(
        "conda_file: environment/conda.yaml", "conda_file: deployment-x/environment/conda.yaml")
    ip.run("%%aml batch-deployment create\n" + body)
    with pytest.raises(IPythonUsageError, match="has no default deployment"):
        ip.run("%aml batch-endpoint invoke -n digits-batch --input digits")
    updated = ip.run("%aml batch-endpoint update -n digits-batch --set defaults.deployment_name=digits-dpl")
    assert updated.defaults["deployment_name"] == "digits-dpl"
    assert [d.name for d in ip.run("%aml batch-deployment list -e digits-batch")] == ["digits-dpl"]
    changed = ip.run("%aml batch-deployment update -n digits-dpl -e digits-batch --set settings.mini_batch_size=5 "
                     "--set settings.retry_settings.max_retries=1")
    assert (changed.settings.mini_batch_size, changed.settings.retry_settings.max_retries) == (5, 1)
    assert changed.settings.max_concurrency_per_instance == 2  # the rest stays as it was
    job = ip.run("%aml batch-endpoint invoke -n digits-batch --input digits --stream")
    assert job.status == "Completed"


def test_bad_input_is_one_line(ip, example):
    ip.run("%aml batch-endpoint create -n digits-batch")
    with pytest.raises(IPythonUsageError, match="compute 'batch-cluster' not found"):
        ip.run("%aml batch-deployment create -f deployment-x/deployment.yml")
    ip.run("%aml compute create -n batch-cluster --type amlcompute --max-instances 2")
    with pytest.raises(IPythonUsageError, match="mini_batch_size"):
        ip.run("%aml batch-deployment create -f deployment-x/deployment.yml --set settings.mini_batch_size=0")
    ip.run("%aml batch-deployment create -f deployment-x/deployment.yml --set-default")
    with pytest.raises(IPythonUsageError, match="does not exist"):
        ip.run("%aml batch-endpoint invoke -n digits-batch --input no-such-folder")
    with pytest.raises(IPythonUsageError, match="deployment 'nope' not found"):
        ip.run("%aml batch-endpoint invoke -n digits-batch -d nope --input digits")
    with pytest.raises(IPythonUsageError, match="batch endpoint 'other' not found"):
        ip.run("%aml batch-endpoint show -n other")
