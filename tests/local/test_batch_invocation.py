"""What invoke takes, made plain: the deployment that answers, per-job overrides, the one input,
the output path."""

from __future__ import annotations

import pytest

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.batch.invocation import choose_deployment, flatten_overrides, one_input, output_path
from amlmagic.local.batch.records import deployments_kind
from amlmagic.local.store import Store


def test_overrides_map_to_deployment_settings():
    assert flatten_overrides([{"mini_batch_size": 5}, {"compute.instance_count": 2},
                              {"retry_settings.timeout": 9}, {"output_file_name": "x.csv"}]) == \
        {"mini_batch_size": 5, "instance_count": 2, "timeout": 9, "output_file_name": "x.csv"}
    assert flatten_overrides([{"retry_settings": {"max_retries": 1}}]) == {"retry_settings": {"max_retries": 1}}
    with pytest.raises(ValidationError, match="colour cannot be set on a batch job"):
        flatten_overrides([{"colour": "red"}])


def test_one_input_and_the_output_path():
    assert one_input("x", None) == "x"
    assert one_input(None, {"anything": "y"}) == "y"
    with pytest.raises(ValidationError, match="exactly one data input, got 2"):
        one_input(None, {"a": 1, "b": 2})
    assert output_path({"score": {"path": "azureml://datastores/ds/paths/p/"}}, None) == "azureml://datastores/ds/paths/p/"
    assert output_path(None, [{"output_dataset.path": "/out", "output_dataset.datastore_id": "ds"}]) == \
        "azureml://datastores/ds/paths/out"
    assert output_path(None, None) is None


def test_the_named_deployment_else_the_default_answers(tmp_path):
    store = Store(tmp_path)
    store.put(deployments_kind("ep"), "blue", {"spec": {"name": "blue"}})
    endpoint = {"spec": {"name": "ep", "defaults": {"deployment_name": "blue"}}}
    assert choose_deployment(store, endpoint, None)["spec"]["name"] == "blue"
    assert choose_deployment(store, endpoint, "blue")["spec"]["name"] == "blue"
    with pytest.raises(NotFoundError, match="deployment 'green' not found in batch endpoint ep: use one of"):
        choose_deployment(store, endpoint, "green")
    with pytest.raises(ValidationError, match="has no default deployment"):
        choose_deployment(store, {"spec": {"name": "ep", "defaults": {}}}, None)
