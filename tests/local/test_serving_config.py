"""Endpoint server config: validation and the atomic write."""

from __future__ import annotations

import json
import sys

import pytest

from amlmagic.errors import NotFoundError, ValidationError
from amlmagic.local.serving import write_config
from amlmagic.local.serving.config import EndpointPaths, normalize_config, read_config


def base(**changes) -> dict:
    cfg = {"endpoint": "ep", "keys": ["k1", "k2"], "auth_mode": "key",
           "deployments": {"blue": {"code_dir": "code", "scoring_script": "score.py", "model_dir": None,
                                    "model_type": "custom_model", "instance_count": 1},
                           "green": {"code_dir": "code", "scoring_script": "score.py", "model_dir": None,
                                     "instance_count": 2}},
           "traffic": {"blue": 100}, "mirror_traffic": {}}
    cfg.update(changes)
    return cfg


def test_defaults_are_filled_and_paths_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = normalize_config(base())
    green = cfg["deployments"]["green"]
    assert green["python"] == sys.executable and green["model_type"] == "custom_model"
    assert green["environment_variables"] == {} and green["code_dir"] == str(tmp_path / "code")
    assert cfg["mirror_traffic"] == {}


@pytest.mark.parametrize("changes, field", [
    ({"traffic": {"blue": 60, "green": 30}}, "sum to 100"),
    ({"traffic": {"purple": 100}}, "purple"),
    ({"traffic": {"blue": 100}, "mirror_traffic": {"green": 60}}, "at most 50%"),
    ({"traffic": {"blue": 100}, "mirror_traffic": {"blue": 10}}, "both live and mirror"),
    ({"traffic": {"blue": 100.5}}, "whole percent"),
    ({"keys": "k1"}, "keys"),
    ({"endpoint": ""}, "endpoint"),
    ({"auth_mode": "aad"}, "auth_mode"),
])
def test_invalid_configs_name_the_problem(changes, field):
    with pytest.raises(ValidationError, match=field):
        normalize_config(base(**changes))


def test_all_zero_traffic_is_allowed():
    assert normalize_config(base(traffic={"blue": 0, "green": 0}))["traffic"] == {"blue": 0, "green": 0}


@pytest.mark.parametrize("spec, field", [
    ({"scoring_script": None}, "scoring script"),
    ({"model_type": "mlflow_model", "model_dir": None}, "without a model"),
    ({"model_type": "triton_model"}, "model_type"),
    ({"instance_count": 0}, "instance_count"),
])
def test_invalid_deployments_name_the_field(spec, field):
    cfg = base()
    cfg["deployments"]["blue"].update(spec)
    with pytest.raises(ValidationError, match=field):
        normalize_config(cfg)


def test_write_then_read_round_trips_and_digest_follows_content(tmp_path):
    paths = EndpointPaths(tmp_path / "ep")
    with pytest.raises(NotFoundError):
        read_config(paths)
    write_config(paths.root, base())
    first, digest1 = read_config(paths)
    assert first == normalize_config(base())
    write_config(paths.root, base(traffic={"green": 100}))
    second, digest2 = read_config(paths)
    assert second["traffic"] == {"green": 100} and digest1 != digest2
    assert [p.name for p in paths.root.iterdir()] == ["config.json"]  # no temp file left behind
    with pytest.raises(ValidationError):
        write_config(paths.root, base(traffic={"blue": 50}))
    assert json.loads(paths.config.read_text())["traffic"] == {"green": 100}  # unchanged
