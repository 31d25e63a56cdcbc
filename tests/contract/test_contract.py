"""The same scenarios, with the same assertions, on the local and the replay backend
(scenarios.py; the fixture `backend` runs each test once per backend)."""

import pytest
from scenarios import SCENARIOS

from amlmagic import client as interface


def test_every_scenario_has_a_test():
    assert {name.removeprefix("test_") for name in globals() if name.startswith("test_")} >= set(SCENARIOS)


@pytest.mark.recording("errors_not_found_and_validation")
def test_client_is_an_aml_client(backend):
    client, _ = backend
    assert isinstance(client, interface.AmlClient)
    for group, protocol in [
        ("jobs", interface.JobOperations), ("compute", interface.ComputeOperations),
        ("datastores", interface.DatastoreOperations), ("data", interface.DataOperations),
        ("environments", interface.EnvironmentOperations), ("models", interface.ModelOperations),
        ("online_endpoints", interface.OnlineEndpointOperations),
        ("online_deployments", interface.OnlineDeploymentOperations),
        ("components", interface.ComponentOperations), ("activity", interface.ActivityOperations),
        ("schedules", interface.ScheduleOperations),
        ("batch_endpoints", interface.BatchEndpointOperations),
        ("batch_deployments", interface.BatchDeploymentOperations),
    ]:
        assert isinstance(getattr(client, group), protocol), group


def test_data_create_show_list(backend):
    SCENARIOS["data_create_show_list"](*backend)


def test_environment_create_show_list(backend):
    SCENARIOS["environment_create_show_list"](*backend)


def test_model_create_show_list(backend):
    SCENARIOS["model_create_show_list"](*backend)


def test_job_show_list_stream_metrics_log(backend):
    SCENARIOS["job_show_list_stream_metrics_log"](*backend)


def test_errors_not_found_and_validation(backend):
    SCENARIOS["errors_not_found_and_validation"](*backend)


def test_online_endpoint_create_show_list(backend):
    SCENARIOS["online_endpoint_create_show_list"](*backend)


@pytest.mark.recording("online_endpoint_create_show_list")
def test_activity_records_the_changes_only(backend):
    """The audit trail on every backend: the scenario's create is one line; its reads are none."""
    client, world = backend
    SCENARIOS["online_endpoint_create_show_list"](client, world)
    entries = client.activity.list()
    assert [(e["kind"], e["name"]) for e in entries] == [("online-endpoint", "contract-ep")]
    assert entries[0]["verb"] in ("create", "create_or_update") and entries[0]["at"].endswith("Z")
    assert client.activity.list(name="other") == []


def test_pipeline_steps_show_list_reuse(backend):
    SCENARIOS["pipeline_steps_show_list_reuse"](*backend)


def test_batch_endpoint_create_invoke(backend):
    SCENARIOS["batch_endpoint_create_invoke"](*backend)
