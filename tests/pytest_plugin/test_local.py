"""A user's test that only asks for `aml_client` runs a command job and an endpoint on a fresh
local workspace in its tmp_path; code that builds its own MLClient gets the same client."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

pytest_plugins = ["pytester"]


def test_user_test_runs_a_job_and_invokes_an_endpoint_locally(run_user_tests, user_project):
    folder = user_project()
    result = run_user_tests("-q")
    result.assert_outcomes(passed=1)
    # the endpoint served on 127.0.0.1 during the test, and its server is gone afterwards
    port = urlsplit((folder / "scoring_uri.txt").read_text()).port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the plugin left the endpoint server running"


def test_code_that_builds_its_own_mlclient_gets_the_fixture_client(run_user_tests, pytester):
    pytester.makepyfile(
        trainer="""
        from azure.ai.ml import MLClient          # bound at import, before any test runs
        from azure.identity import DefaultAzureCredential

        def client_from_arguments():
            return MLClient(DefaultAzureCredential(), "sub", "rg", "ws")

        def client_from_config():
            return MLClient.from_config(DefaultAzureCredential(), path="no/such/config.json")
        """,
        test_trainer="""
        import azure.ai.ml
        import trainer

        def test_every_way_of_building_one(aml_client, tmp_path):
            assert trainer.client_from_arguments() is aml_client
            assert trainer.client_from_config() is aml_client
            assert azure.ai.ml.MLClient(None, "s", "r", "w") is aml_client
            assert issubclass(azure.ai.ml.MLClient, azure.ai.ml._ml_client.MLClient)
            assert aml_client.root == tmp_path / ".amlmagic"  # a fresh workspace in the test's tmp_path

        def test_without_the_fixture_mlclient_is_azure_ai_ml_s():
            assert trainer.MLClient is azure.ai.ml._ml_client.MLClient
            assert azure.ai.ml.MLClient is azure.ai.ml._ml_client.MLClient
        """,
    )
    run_user_tests("-q").assert_outcomes(passed=2)
