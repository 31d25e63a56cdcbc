"""Azure's error answers (replayed) reach user code that calls `current_session().client` in a
notebook cell as `amlmagic.errors` types: one tree to catch, whatever the backend."""

import pytest
from conftest import OWN_RECORDINGS

from amlmagic.errors import AmlMagicError, NotFoundError, ValidationError

USER_CODE = """
from azure.ai.ml import command
from amlmagic.session import current_session

client = current_session().client
"""


@pytest.fixture
def replayed(ip, no_network):
    assert ip.run(f"%aml connect --replay {OWN_RECORDINGS / 'errors_400_404.json'}").startswith("connected: replay")
    ip.run(USER_CODE)
    return ip


def test_a_replayed_400_reaches_user_code_as_a_validation_error(replayed):
    with pytest.raises(ValidationError) as info:
        replayed.run('client.jobs.create_or_update(command(name="bad-job-1", command="echo", compute="missing", '
                     'environment="azureml:sklearn-env:1"))')
    assert str(info.value) == "Azure answered 400 UserError: Compute Not Found for run ID : bad-job-1"
    assert type(info.value.__cause__).__module__.startswith("azure.core")  # the original stays chained


def test_a_replayed_404_reaches_user_code_as_not_found(replayed):
    with pytest.raises(NotFoundError) as info:
        replayed.run('client.compute.get("no-such-cluster")')
    assert str(info.value).startswith("Azure answered 404 UserError: The specified resource was not found")


def test_user_code_catches_the_one_tree(replayed):
    replayed.run("from amlmagic.errors import AmlMagicError\n"
                 "try:\n    client.compute.get('no-such-cluster')\nexcept AmlMagicError as exc:\n    caught = exc\n")
    assert isinstance(replayed.user_ns["caught"], NotFoundError)
    assert isinstance(replayed.user_ns["caught"], AmlMagicError)
