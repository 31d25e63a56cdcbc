"""Compute targets: the built-in local target, pools, the default compute."""

import os

import pytest

from amlmagic.errors import AlreadyExistsError, NotFoundError, ValidationError
from amlmagic.local.client import LocalMLClient


@pytest.fixture
def client(tmp_path):
    return LocalMLClient(tmp_path / "ws")


def _pool(**kw):
    from azure.ai.ml.entities import AmlCompute

    return AmlCompute(**kw)


def test_local_is_built_in_with_the_core_count(client):
    local = client.compute.get("local")
    assert local.max_instances == (os.cpu_count() or 1)
    assert client.compute.get("azureml:local").name == "local"
    assert client.compute.get_default() == "local"


def test_pools_and_the_default_compute_survive_a_new_client(client):
    client.compute.begin_create_or_update(_pool(name="pool", max_instances=1)).result()
    client.compute.use("pool")
    again = LocalMLClient(client.root)
    assert again.compute.get_default() == "pool"
    assert [c.name for c in again.compute.list()] == ["local", "pool"]
    again.compute.begin_delete("pool").result()
    assert again.compute.get_default() == "local"


@pytest.mark.parametrize("kwargs,error", [
    (dict(name="local"), AlreadyExistsError),
    (dict(name="p", min_instances=3, max_instances=2), ValidationError),
    (dict(name="p", max_instances=0), ValidationError),
])
def test_bad_pools_are_refused(client, kwargs, error):
    with pytest.raises(error):
        client.compute.begin_create_or_update(_pool(**kwargs))
    assert [c.name for c in client.compute.list()] == ["local"]


def test_use_of_unknown_compute(client):
    with pytest.raises(NotFoundError, match="compute list"):
        client.compute.use("nope")
