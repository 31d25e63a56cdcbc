"""`show` returns the entity it names, as `az ml ... show` does; an endpoint's deployments (like a
sweep's trials: tests/local/test_sweep_e2e.py, tests/backends/) are displayed beneath it."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError as IPythonUsageError
from IPython.utils.capture import capture_output

SCORE = "def init():\n    pass\n\n\ndef run(raw):\n    return {'ok': True}\n"
BLUE = ("name: blue\nendpoint_name: ep-show\ncode_configuration:\n  code: ./src\n  scoring_script: score.py\n"
        "instance_type: Standard_DS3_v2\ninstance_count: 1\n")


@pytest.fixture
def endpoint(ip, workspace):
    from amlmagic.local.serving import stop_endpoint

    (workspace / "src").mkdir()
    (workspace / "src" / "score.py").write_text(SCORE)
    (workspace / "blue.yml").write_text(BLUE)
    try:
        ip.run("%aml online-endpoint create -n ep-show")
        ip.run("%aml online-deployment create -f blue.yml --all-traffic")
        yield "ep-show"
    finally:
        for folder in (workspace / ".amlmagic" / "endpoints").glob("*"):
            stop_endpoint(folder)


def test_online_endpoint_show_returns_the_endpoint_and_displays_its_deployments_beneath(ip, endpoint):
    with capture_output() as captured:
        shown = ip.run(f"%aml online-endpoint show -n {endpoint}")
    assert (type(shown).__name__, shown.name, shown.traffic) == ("ManagedOnlineEndpoint", endpoint, {"blue": 100})
    assert shown.scoring_uri.startswith("http://127.0.0.1:")
    assert "  scoring_uri" in captured.stdout  # the endpoint is the cell's result ...
    summary, table = (output.data["text/plain"] for output in captured.outputs)  # ... its deployments beneath
    assert summary == "deployments (1)"
    assert [row.split()[:2] for row in table.splitlines()[1:]] == [["blue", endpoint]]
    # What the user wrote, and what the MNIST notebook now does.
    assert ip.run(f"ep = %aml online-endpoint show -n {endpoint}\nep.scoring_uri") == shown.scoring_uri
    assert [d.name for d in ip.run(f"%aml online-deployment list -e {endpoint}")] == ["blue"]


def test_online_endpoint_test_of_no_such_endpoint_is_not_found(ip):
    with pytest.raises(IPythonUsageError, match="online endpoint 'nowhere' not found"):
        ip.run("%aml online-endpoint test -n nowhere")
