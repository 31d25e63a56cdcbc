"""AzureMLClient against the fake Azure ML REST server (real MLClient, real https on 127.0.0.1):
Azure's error answers come out as amlmagic.errors types, also when they surface late (pages,
pollers) and from groups outside the interface; the extras work on Azure."""

import pytest
from fake_azureml import cloud_kwargs

from amlmagic.backends import AzureMLClient, StaticTokenCredential, connect_azure
from amlmagic.client import AmlClient
from amlmagic.errors import (
    AlreadyExistsError,
    AuthError,
    BackendError,
    NotFoundError,
    ServiceError,
    ThrottledError,
    UnsupportedError,
    ValidationError,
)


@pytest.fixture
def client(fake_azure, request):
    # retry_total=0: azure-core would retry 429 and 5xx answers with growing sleeps
    return connect_azure(subscription_id=fake_azure.subscription, resource_group=fake_azure.resource_group,
                         workspace=fake_azure.workspace, credential=StaticTokenCredential(), retry_total=0,
                         **cloud_kwargs(fake_azure.url, f"AmlMagicAdapter{abs(hash(request.node.name))}"))


def test_connect_azure_returns_the_interface(client, fake_azure):
    assert isinstance(client, AzureMLClient) and isinstance(client, AmlClient)
    assert (client.backend, client.workspace_name) == ("azure", fake_azure.workspace)
    assert client.ml_client.subscription_id == fake_azure.subscription == client.subscription_id


@pytest.mark.parametrize("status, code, expected", [
    (404, "UserError", NotFoundError), (409, "Conflict", AlreadyExistsError), (401, "AuthenticationFailed", AuthError),
    (403, "AuthorizationFailed", AuthError), (429, "TooManyRequests", ThrottledError),
    (500, "InternalServerError", ServiceError), (503, "ServiceUnavailable", ServiceError), (418, "Teapot", BackendError),
])
def test_error_status_decides_the_type(client, fake_azure, status, code, expected):
    fake_azure.fail("GET", "computes/cpu-cluster", status, code, f"answer {status}\nsecond line")
    with pytest.raises(expected) as info:
        client.compute.get("cpu-cluster")
    assert type(info.value) is expected
    assert str(info.value) == f"Azure answered {status} {code}: answer {status} second line"


def test_validation_error_names_the_fields(client, fake_azure):
    from azure.ai.ml import command

    fake_azure.fail("PUT", "jobs/bad-job", 400, "UserError", "Request is invalid and/or missing fields.",
                    details=[{"code": "RequestInvalid", "message": "The value is out of range.", "target": "limits.timeout"}])
    with pytest.raises(ValidationError) as info:
        client.jobs.create_or_update(command(name="bad-job", command="echo", compute="cpu-cluster",
                                             environment="azureml:sklearn-env:1"))
    assert info.value.fields == ["limits.timeout"]
    assert str(info.value) == ("Azure answered 400 UserError: Request is invalid and/or missing fields. "
                               "(The value is out of range.) [fields: limits.timeout]")


def test_sdk_validation_before_any_request_is_a_validation_error(client, fake_azure, tmp_path):
    from azure.ai.ml.entities import Model

    before = len(fake_azure.requests)
    with pytest.raises(ValidationError):
        client.models.create_or_update(Model(name="m", version="1", path=str(tmp_path / "missing-folder")))
    assert "\n" not in str(pytest.raises) and len(fake_azure.requests) - before <= 2  # datastore lookups at most


def test_errors_of_pages_are_translated_while_iterating(client, fake_azure):
    fake_azure.fail("GET", "computes", 403, "AuthorizationFailed", "no read access")
    pages = client.compute.list()  # ItemPaged asks nothing until iterated
    with pytest.raises(AuthError, match="no read access"):
        list(pages)


def test_errors_of_pollers_are_translated_in_result(client, fake_azure):
    fake_azure.fail("DELETE", "computes/cpu-cluster", 409, "Conflict", "the compute is in use")
    with pytest.raises(AlreadyExistsError, match="in use"):
        client.compute.begin_delete("cpu-cluster").result()


def test_groups_outside_the_interface_translate_too(client, fake_azure):
    with pytest.raises(NotFoundError):
        client.batch_endpoints.get("no-such-batch-endpoint")
    fake_azure.fail("GET", "components/secret/versions", 403, "AuthorizationFailed", "no read access")
    versions = client.components.list("secret")
    with pytest.raises(AuthError):
        list(versions)  # the 403 comes while iterating


def test_compute_use_sets_the_default_of_later_jobs(client, fake_azure):
    from azure.ai.ml import command
    from azure.ai.ml.entities import AmlCompute

    assert client.compute.get_default() is None
    with pytest.raises(NotFoundError):
        client.compute.use("missing")
    client.compute.begin_create_or_update(AmlCompute(name="gpu-cluster", size="Standard_NC6", max_instances=1)).result()
    assert client.compute.use("gpu-cluster").name == "gpu-cluster"
    assert client.compute.get_default() == "gpu-cluster"
    job = client.jobs.create_or_update(command(name="no-compute", command="echo", environment="azureml:sklearn-env:1"))
    assert job.compute == "gpu-cluster"
    stored = fake_azure.store[f"{fake_azure.scope}/jobs/no-compute"]["properties"]
    assert stored["computeId"].endswith("/computes/gpu-cluster")
    own = client.jobs.create_or_update(command(name="own-compute", command="echo", compute="cpu-cluster",
                                               environment="azureml:sklearn-env:1"))
    assert own.compute == "cpu-cluster"


def test_wait_polls_until_a_terminal_status(client, fake_azure):
    from azure.ai.ml import command

    client.poll_interval = 0.01
    client.jobs.create_or_update(command(name="waited", command="echo", compute="cpu-cluster",
                                         environment="azureml:sklearn-env:1"))
    fake_azure.run_status["waited"] = ["Running", "Running", "Completed"]
    gets_before = sum(1 for m, p in fake_azure.requests if m == "GET" and p.split("?")[0].endswith("/jobs/waited"))
    assert client.jobs.wait("waited", timeout=60).status == "Completed"
    gets = sum(1 for m, p in fake_azure.requests if m == "GET" and p.split("?")[0].endswith("/jobs/waited"))
    assert gets - gets_before >= 2  # it polled, it did not stop at the first answer
    with pytest.raises(NotFoundError):
        client.jobs.wait("no-such-job", timeout=60)


def test_read_log_reads_std_log_from_an_offset(client, fake_azure):
    from azure.ai.ml import command

    client.jobs.create_or_update(command(name="logged", command="echo", compute="cpu-cluster",
                                         environment="azureml:sklearn-env:1"))
    fake_azure.run_status["logged"] = ["Running"]
    fake_azure.logs["logged"] = b""
    assert client.jobs.read_log("logged", 0) == ("", 0)  # listed, not written yet
    fake_azure.logs["logged"] = "step 1\nπ".encode()[:-1]  # a character cut in the middle
    text, offset = client.jobs.read_log("logged", 0)
    assert (text, offset) == ("step 1\n", 7)
    fake_azure.logs["logged"] = "step 1\nπ = 3.14\n".encode()
    assert client.jobs.read_log("logged", offset) == ("π = 3.14\n", len("step 1\nπ = 3.14\n".encode()))
    with pytest.raises(NotFoundError):
        client.jobs.read_log("no-such-job")


def test_metrics_reader_reads_mlflow_incrementally(client, fake_azure):
    from azure.ai.ml import command

    client.jobs.create_or_update(command(name="tracked", command="echo", compute="cpu-cluster",
                                         environment="azureml:sklearn-env:1"))
    fake_azure.metrics["tracked"] = [{"key": "loss", "value": 0.9, "timestamp": 1000, "step": 0}]
    reader = client.jobs.metrics_reader("tracked")
    assert reader.read_new() == {"loss": [(0, 1000, 0.9)]}
    assert reader.read_new() == {}
    fake_azure.metrics["tracked"].append({"key": "loss", "value": 0.5, "timestamp": 2000, "step": 1})
    assert reader.read_new() == {"loss": [(1, 2000, 0.5)]}
    with pytest.raises(NotFoundError):
        client.jobs.metrics_reader("no-such-job")


def test_extras_azure_cannot_do_say_so(client, fake_azure):
    from azure.ai.ml import command
    from azure.ai.ml.entities import Environment

    client.environments.create_or_update(Environment(name="env", version="1", image="python:3.11-slim"))
    with pytest.raises(UnsupportedError, match="Azure builds the environment image when a job first uses it"):
        client.environments.build("env", "1")
    with pytest.raises(NotFoundError):
        client.environments.build("env", "2")
    client.jobs.create_or_update(command(name="coded", command="echo", compute="cpu-cluster",
                                         environment="azureml:sklearn-env:1"))
    assert client.jobs.code_source("coded") is None
    assert client.datastores.local_path("azureml://datastores/workspaceblobstore/paths/x") is None


def test_model_lineage_names_the_job_its_data_and_environment(client, fake_azure):
    from azure.ai.ml import Input, command
    from azure.ai.ml.entities import Model

    client.jobs.create_or_update(command(
        name="trainer", command="python train.py --data ${{inputs.data}}", compute="cpu-cluster",
        environment="azureml:sklearn-env:1", inputs={"data": Input(type="uri_folder", path="azureml:iris:1")}))
    client.models.create_or_update(Model(name="from-job", version="1", type="custom_model",
                                         path="azureml://jobs/trainer/outputs/artifacts/paths/model/"))
    client.models.create_or_update(Model(name="from-path", version="1", type="custom_model",
                                         path="azureml://datastores/workspaceblobstore/paths/models/x/"))
    assert client.models.lineage("from-job", "1") == {
        "job": "trainer", "data": ["azureml:iris:1"], "environment": "azureml:sklearn-env:1"}
    assert client.models.lineage("from-path", "1") == {}
    assert client.models.registered_source("from-path", "1") is None


def test_probing_for_a_missing_attribute_is_an_attribute_error(client):
    assert not hasattr(client, "no_such_group") and not hasattr(client.jobs, "no_such_method")
    assert hasattr(client, "subscription_id") and hasattr(client.jobs, "begin_cancel")


def test_streaming_a_failed_job_says_why_in_one_line(client, fake_azure, capsys):
    from azure.ai.ml import command

    client.jobs.create_or_update(command(name="failing", command="exit 1", compute="cpu-cluster",
                                         environment="azureml:sklearn-env:1"))
    fake_azure.run_status["failing"] = ["Failed"]
    with pytest.raises(BackendError) as info:
        client.jobs.stream("failing")
    assert str(info.value) == ("JobException: the job failed: Execution failed: the command exited with code 1")
    assert "RunId: failing" in capsys.readouterr().out
