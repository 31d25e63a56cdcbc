"""Lineage from a sweep trial through a pipeline step to two deployments, on the local backend
with real jobs (conftest.py builds the history), both ways: from the model up to the pipeline and
down to the endpoint; from the data down to the deployments; from a deployment up."""

from __future__ import annotations

import pytest

from amlmagic.errors import NotFoundError, UsageError
from amlmagic.lineage import build_lineage


def _edge(lineage, source: str, target: str) -> str:
    found = [e["relation"] for e in lineage.to_dict()["edges"] if e["source"] == source and e["target"] == target]
    assert found, f"no edge {source} -> {target}; edges: {lineage.edges}"
    return found[0]


def test_a_model_goes_back_through_its_trial_and_the_pipeline_step_and_on_to_two_deployments(history):
    from azure.ai.ml._utils._asset_utils import get_content_hash

    h = history
    lineage = build_lineage(h.client, "model", "lineage-model", "1")
    model, best, sweep = "model:lineage-model:1", f"job:{h.best}", f"job:{h.sweep}"
    step, pipeline = f"job:{h.step}", f"job:{h.pipeline}"
    assert lineage.root == model
    # up: the best trial (with its parameter), its sweep, its code, environment and data
    assert _edge(lineage, best, model) == "output model"
    assert lineage.nodes[best].details["parameters"] == {"q": 2}
    assert _edge(lineage, sweep, best) == "trial"
    assert lineage.nodes[sweep].details["best_trial"] == h.best
    (code,) = [k for k in lineage.upstream(best) if k.startswith("code:")]
    # the content hash is azure-ai-ml's hash_sha256 of the same files (what Azure records on upload)
    assert lineage.nodes[code].details["hash_sha256"] == get_content_hash(str(h.root / "train"))
    assert _edge(lineage, "environment:AzureML-sklearn-1.5@latest", best) == "environment"
    assert _edge(lineage, "data:features:1", best) == "input data"
    # ... the data came from the pipeline step's output, the step from its pipeline
    assert _edge(lineage, step, "data:features:1") == "output features"
    assert _edge(lineage, pipeline, step) == "step"
    (step_code,) = [k for k in lineage.upstream(step) if k.startswith("code:")]
    assert lineage.nodes[step_code].details["hash_sha256"] == get_content_hash(str(h.root / "prep"))
    # down: the two deployments and the endpoint, with their traffic
    assert _edge(lineage, model, "online-deployment:lin-ep/blue") == "deployed as"
    assert _edge(lineage, model, "online-deployment:lin-ep/green") == "deployed as"
    assert _edge(lineage, "online-deployment:lin-ep/blue", "online-endpoint:lin-ep") == "90% traffic"
    assert _edge(lineage, "online-deployment:lin-ep/green", "online-endpoint:lin-ep") == "10% traffic"
    assert _edge(lineage, model, "batch-deployment:lin-batch/nightly") == "batch-deployed as"
    assert _edge(lineage, "batch-deployment:lin-batch/nightly", "batch-endpoint:lin-batch") == "default"
    # never sideways: the other trials did not make this model
    assert {k for k in lineage.nodes if k.startswith(f"job:{h.sweep}_")} == {best}

    text = lineage.text()
    assert text.splitlines()[0].startswith("lineage of model lineage-model:1")
    assert f"<- job {h.best}  [output model]" in text and f"<- job {h.pipeline}  [step]" in text
    assert "-> online-deployment lin-ep/green  [deployed as]" in text
    data = lineage.to_dict()
    assert data["root"] == model and {n["kind"] for n in data["nodes"]} == {
        "model", "job", "code", "environment", "data", "online-deployment", "online-endpoint", "batch-deployment",
        "batch-endpoint"}
    assert all(set(n) == {"key", "kind", "name", "version", "details"} for n in data["nodes"])
    assert all(set(e) == {"source", "target", "relation"} for e in data["edges"])
    bundle = lineage._repr_mimebundle_()
    assert "<svg" in bundle["text/html"] and "data-kind='model'" in bundle["text/html"]


def test_data_goes_down_to_every_job_that_read_it_and_on_to_the_deployments(history):
    h = history
    lineage = build_lineage(h.client, "data", "features", "1")
    assert _edge(lineage, "data:features:1", f"job:{h.sweep}") == "input data"
    trials = [k for k in lineage.downstream(f"job:{h.sweep}")]
    assert len(trials) == 3  # every trial read it
    assert _edge(lineage, f"job:{h.best}", "model:lineage-model:1") == "output model"
    assert {"online-deployment:lin-ep/blue", "online-deployment:lin-ep/green"} <= set(lineage.nodes)
    assert _edge(lineage, f"job:{h.step}", "data:features:1") == "output features"  # and up to its step


def test_a_deployment_and_an_endpoint_go_back_to_the_pipeline(history):
    h = history
    deployment = build_lineage(h.client, "online-deployment", "green", endpoint_name="lin-ep")
    assert deployment.root == "online-deployment:lin-ep/green"
    assert f"job:{h.pipeline}" in deployment.nodes and "online-deployment:lin-ep/blue" not in deployment.nodes
    endpoint = build_lineage(h.client, "online-endpoint", "lin-ep")
    assert set(endpoint.upstream("online-endpoint:lin-ep")) == {"online-deployment:lin-ep/blue",
                                                               "online-deployment:lin-ep/green"}
    batch = build_lineage(h.client, "batch-deployment", "nightly", endpoint_name="lin-batch")
    assert batch.root == "batch-deployment:lin-batch/nightly" and f"job:{h.best}" in batch.nodes
    assert set(build_lineage(h.client, "batch-endpoint", "lin-batch").upstream("batch-endpoint:lin-batch")) == {
        "batch-deployment:lin-batch/nightly"}
    job = build_lineage(h.client, "job", h.step)
    assert _edge(job, f"job:{h.step}", "data:features:1") == "output features"
    assert "model:lineage-model:1" in job.nodes


def test_unknown_assets_and_nouns_give_one_line_naming_them(history):
    with pytest.raises(NotFoundError, match="lineage-model:9") as info:
        build_lineage(history.client, "model", "lineage-model", "9")
    assert "\n" not in str(info.value)
    with pytest.raises(NotFoundError, match="nope"):
        build_lineage(history.client, "job", "nope")
    with pytest.raises(UsageError, match="compute"):
        build_lineage(history.client, "compute", "local")
    with pytest.raises(UsageError, match="-e/--endpoint-name"):
        build_lineage(history.client, "online-deployment", "blue")
