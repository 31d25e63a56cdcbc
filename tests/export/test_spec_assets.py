"""amlmagic.spec.assets: entity -> CLI v2 dict that azure-ai-ml's loaders accept, field by field,
and credentials never part of a dict."""

from __future__ import annotations

import io

import pytest
import yaml

from amlmagic.spec.assets import ASSET_SCHEMAS, asset_to_spec, is_secret_name


def reload(kind: str, spec: dict, base):
    import azure.ai.ml as aml

    from .conftest import LOADERS

    text = yaml.safe_dump(spec, sort_keys=False)
    return getattr(aml, LOADERS[kind])(io.StringIO(text), relative_origin=str(base / "x.yml"))


def test_each_kind_reloads_with_the_same_fields(tmp_path):
    from azure.ai.ml.entities import (
        AmlCompute,
        BuildContext,
        CodeConfiguration,
        Data,
        Environment,
        ManagedOnlineDeployment,
        ManagedOnlineEndpoint,
        Model,
    )

    (tmp_path / "ctx").mkdir()
    entities = [
        Data(name="d", version="3", type="uri_file", path="./a.csv", description="x", tags={"k": "v"}),
        Environment(name="e", version="2", image="python:3.11", conda_file={"dependencies": ["pip"]}),
        Environment(name="b", version="1", build=BuildContext(path="./ctx", dockerfile_path="Dockerfile")),
        Model(name="m", version="5", type="mlflow_model", path="./m"),
        AmlCompute(name="c", size="Standard_DS2_v2", min_instances=0, max_instances=4, idle_time_before_scale_down=60),
        ManagedOnlineEndpoint(name="ep", auth_mode="aml_token", traffic={"blue": 100}),
        ManagedOnlineDeployment(name="blue", endpoint_name="ep", model="azureml:m:5", instance_count=3,
                                code_configuration=CodeConfiguration(code="./src", scoring_script="s.py"),
                                environment="azureml:e:2", environment_variables={"A": "1"}),
    ]
    for entity in entities:
        kind, spec = asset_to_spec(entity)
        assert spec["$schema"] == ASSET_SCHEMAS[kind]
        again = reload(kind, spec, tmp_path)
        assert again.name == entity.name
        for field in ("version", "type", "image", "conda_file", "description", "tags", "size", "max_instances",
                      "idle_time_before_scale_down", "auth_mode", "instance_count", "environment_variables"):
            if getattr(entity, field, None) not in (None, {}, ""):
                assert getattr(again, field) == getattr(entity, field), (kind, field)
    _kind, endpoint = asset_to_spec(entities[5])
    assert "traffic" not in endpoint  # set by deploy.sh once the deployments exist
    _kind, deployment = asset_to_spec(entities[6])
    assert (deployment["model"], deployment["environment"]) == ("azureml:m:5", "azureml:e:2")


def test_datastore_credentials_are_never_in_the_dict(tmp_path):
    from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore, SasTokenConfiguration

    for credentials in (AccountKeyConfiguration(account_key="S3CR3T-account-key=="),
                        SasTokenConfiguration(sas_token="sv=2020&sig=S3CR3T")):
        store = AzureBlobDatastore(name="blobs", account_name="acct", container_name="c", credentials=credentials)
        kind, spec = asset_to_spec(store)
        assert "S3CR3T" not in yaml.safe_dump(spec) and "credentials" not in spec
        assert reload(kind, spec, tmp_path).account_name == "acct"


@pytest.mark.parametrize("name,secret", [("API_KEY", True), ("HF_TOKEN", True), ("DB_PASSWORD", True),
                                         ("AZURE_STORAGE_CONNECTION_STRING", True), ("client_secret", True),
                                         ("COLOR", False), ("MODE", False), ("EPOCHS", False)])
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret
