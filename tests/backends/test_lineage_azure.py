"""Lineage on the azure backend (the real azure-ai-ml MLClient against the fake Azure ML REST
server on 127.0.0.1): built from the entities' references only. A command job with local code
and a registered data input; a model registered from its output; the lineage names the job, the
code asset's hash_sha256 (azure-ai-ml's content hash of the folder), the environment and the data."""

from __future__ import annotations

from fake_azureml import cloud_kwargs

from amlmagic.backends import StaticTokenCredential, connect_azure
from amlmagic.lineage import build_lineage


def test_model_lineage_from_azure_entities(fake_azure, tmp_path, monkeypatch):
    from azure.ai.ml import Input, command
    from azure.ai.ml._utils._asset_utils import get_content_hash, get_ignore_file
    from azure.ai.ml.entities import Data, Model

    monkeypatch.setenv("AMLMAGIC_HOME", str(tmp_path / "home"))
    client = connect_azure(subscription_id=fake_azure.subscription, resource_group=fake_azure.resource_group,
                           workspace=fake_azure.workspace, credential=StaticTokenCredential(),
                           **cloud_kwargs(fake_azure.url, "AmlMagicLineageTest"))
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('train')\n")
    client.data.create_or_update(Data(name="rows", version="3", type="uri_folder",
                                      path="azureml://datastores/workspaceblobstore/paths/rows/"))
    job = client.jobs.create_or_update(command(
        name="lin-train", command="python train.py ${{inputs.rows}}", code=str(src), compute="cpu-cluster",
        environment="azureml:sklearn-env:1", inputs={"rows": Input(type="uri_folder", path="azureml:rows:3")}))
    client.models.create_or_update(Model(name="lin-model", version="1", path=f"azureml://jobs/{job.name}/outputs/artifacts/paths/model/"))

    lineage = build_lineage(client, "model", "lin-model", "1")
    assert [e for e in lineage.edges if e["target"] == "model:lin-model:1"] == [
        {"source": "job:lin-train", "target": "model:lin-model:1", "relation": "output artifacts"}]
    upstream = set(lineage.upstream("job:lin-train"))
    (code,) = [k for k in upstream if k.startswith("code:")]
    assert lineage.nodes[code].details["hash_sha256"] == get_content_hash(str(src), get_ignore_file(str(src)))
    assert {"environment:sklearn-env:1", "data:rows:3"} <= upstream
    assert lineage.downstream("model:lin-model:1") == []  # no deployment serves it

