"""Azure's data_collector rules: the section as YAML holds it, data asset names and the rolled
blob folders."""

from __future__ import annotations

import pytest

from amlmagic.errors import ValidationError
from amlmagic.rules.data_collection import (
    collection_data_asset,
    data_collector_spec,
    enabled_collections,
    rolled_folder,
)


def test_the_section_is_kept_as_given_with_enabled_lower_cased():
    spec = data_collector_spec({"collections": {"model_inputs": {"enabled": "True"}, "request": {"enabled": False},
                                                "custom": {"enabled": "true", "data": {"name": "d", "version": 2}}},
                                "sampling_rate": 1, "rolling_rate": "Day",
                                "request_logging": {"capture_headers": ["x-a"]}})
    assert spec == {"collections": {"model_inputs": {"enabled": "true"}, "request": {"enabled": "false"},
                                    "custom": {"enabled": "true", "data": {"name": "d", "version": "2"}}},
                    "sampling_rate": 1.0, "rolling_rate": "day", "request_logging": {"capture_headers": ["x-a"]}}
    assert enabled_collections(spec) == ["model_inputs", "custom"]
    assert data_collector_spec(None) is None and enabled_collections(None) == []


@pytest.mark.parametrize("section, field", [
    ({}, "data_collector.collections is required"),
    ({"collections": ["model_inputs"]}, "data_collector.collections must be a mapping"),
    ({"collections": {"x": None}}, "data_collector.collections.x is empty"),
    ({"collections": {"x": {}}}, "data_collector.collections.x.enabled is required"),
    ({"collections": {"x": {"enabled": 1}}}, "data_collector.collections.x.enabled must be"),
    ({"collections": {"x": {"enabled": "true", "data": {"name": ["a"]}}}}, "data_collector.collections.x.data.name"),
    ({"collections": {"x": {"enabled": "true"}}, "sampling_rate": True}, "data_collector.sampling_rate"),
    ({"collections": {"x": {"enabled": "true"}}, "sampling_rate": -0.1}, "data_collector.sampling_rate"),
])
def test_bad_sections_name_the_field(section, field):
    with pytest.raises(ValidationError) as caught:
        data_collector_spec(section)
    assert str(caught.value).startswith(field) and "\n" not in str(caught.value)


def test_data_assets_as_azure_ai_ml_registers_them():
    assert collection_data_asset("ep", "blue", "model_inputs", None) == (
        "ep-blue-model_inputs", "1", "azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep/blue/model_inputs")
    assert collection_data_asset("ep", "blue", "x", {"name": "mine", "path": "azureml://datastores/d/paths/p"}) == (
        "mine", "1", "azureml://datastores/d/paths/p")


def test_rolled_folders():
    utc = (2026, 3, 4, 5, 6, 7, 0, 0, 0)
    assert rolled_folder("day", utc) == "2026/03/04"
    assert rolled_folder("hour", utc) == "2026/03/04/05"
    assert rolled_folder("minute", utc) == "2026/03/04/05/06"
