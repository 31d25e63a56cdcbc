"""The batch driver takes a slot of its compute pool per worker, as a command job's processes do:
a second job on a full pool waits Queued until the first ends."""

from __future__ import annotations

import time

from batch_helpers import deploy, invoke, make_project

from amlmagic.local.client import LocalMLClient


def wait_for_status(client, name: str, wanted: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = client.jobs.get(name).status
        if status == wanted:
            return status
        time.sleep(0.1)
    return status


def test_a_job_on_a_full_pool_waits_queued_until_the_slot_frees(tmp_path, monkeypatch):
    from azure.ai.ml.entities import AmlCompute

    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, files=3)
    client = LocalMLClient(tmp_path / ".amlmagic")
    client.compute.begin_create_or_update(AmlCompute(name="one-slot", max_instances=1)).result()
    deploy(client, tmp_path, mode="hang", settings="  max_concurrency_per_instance: 1\n  retry_settings:\n"
                                                  "    timeout: 100\n")
    record = tmp_path / "dpl.yml"
    record.write_text(record.read_text().replace("compute: local", "compute: azureml:one-slot"))
    from azure.ai.ml.entities._load_functions import load_model_batch_deployment

    client.batch_deployments.begin_create_or_update(load_model_batch_deployment(str(record))).result()
    first = invoke(client, "data").name
    first_step = client.jobs.list(parent_job_name=first)[0].name
    assert wait_for_status(client, first_step, "Running") == "Running"
    second = invoke(client, "data").name
    second_step = client.jobs.list(parent_job_name=second)[0].name
    assert wait_for_status(client, second_step, "Queued") == "Queued"
    time.sleep(1.0)
    assert client.jobs.get(second_step).status == "Queued"  # still waiting: the pool's one slot is taken
    client.jobs.begin_cancel(first).result(timeout=60)
    assert wait_for_status(client, second_step, "Running") == "Running"
    client.jobs.begin_cancel(second).result(timeout=60)
    assert client.jobs.get(second).status == "Canceled"
