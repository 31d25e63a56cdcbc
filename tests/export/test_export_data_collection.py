"""`data_collector` survives export: the deployment YAML written by %aml export holds it as the
user gave it, and azure-ai-ml loads it back to the same section."""

from __future__ import annotations

import yaml

from .test_build import export_one

COLLECTOR = """\
data_collector:
  collections:
    model_inputs:
      enabled: 'True'
      data:
        name: my_inputs
        path: azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep/blue/model_inputs
        version: '2'
    model_outputs:
      enabled: 'True'
    request:
      enabled: 'False'
  sampling_rate: 0.25
  rolling_rate: minute
  request_logging:
    capture_headers: [x-user, x-tenant]
"""


def _deployment_yaml(folder):
    (folder / "score").mkdir()
    (folder / "score" / "score.py").write_text("def init(): pass\ndef run(x): return x\n")
    path = folder / "blue.yml"
    path.write_text("name: blue\nendpoint_name: ep-dc\ncode_configuration:\n  code: ./score\n  scoring_script: score.py\n"
                    "environment:\n  image: python:3.11-slim\ninstance_type: Standard_DS3_v2\n" + COLLECTOR)
    return path


def test_export_writes_data_collector_unchanged(workspace, tmp_path_factory):
    from azure.ai.ml import load_online_deployment

    original = load_online_deployment(str(_deployment_yaml(workspace)))
    folder = tmp_path_factory.mktemp("export")
    path, _ = export_one(original, folder, kind="online-deployment", base=workspace)
    written = yaml.safe_load(path.read_text())["data_collector"]
    given = yaml.safe_load(COLLECTOR)["data_collector"]
    for section in written["collections"].values():
        section["enabled"] = section["enabled"].title()  # the schema lower-cases 'True' when it loads
    assert written == given
    again = load_online_deployment(str(path))
    assert again.data_collector._to_dict() == original.data_collector._to_dict()


def test_a_deployment_served_locally_exports_its_data_collector(workspace, tmp_path_factory):
    """The entity the local backend returns (what the trail records) carries the section too."""
    from azure.ai.ml import load_online_deployment
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    from amlmagic.local.serving import stop_endpoint
    from amlmagic.session import current_session

    client = current_session().client
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="ep-dc")).result()
    original = load_online_deployment(str(_deployment_yaml(workspace)))
    try:
        served = client.online_deployments.begin_create_or_update(original).result()
        folder = tmp_path_factory.mktemp("export")
        path, _ = export_one(served, folder, kind="online-deployment", base=workspace)
    finally:
        stop_endpoint(workspace / ".amlmagic" / "endpoints" / "ep-dc")
    assert load_online_deployment(str(path)).data_collector._to_dict() == original.data_collector._to_dict()
