"""Real browser: the endpoint tester in JupyterLab sends JSON and a digit drawn on its canvas to
a real local endpoint and shows the answers."""

from __future__ import annotations

import json

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, wait_settled, write_notebook
from tests.widgets.test_endpoint_tester import endpoint  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_endpoint_tester_answers_json_and_a_drawn_digit(tmp_path, client, endpoint):  # noqa: F811
    write_notebook(tmp_path / "tester.ipynb", [
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import EndpointTester\n"
        f"EndpointTester(LocalMLClient({str(client.root)!r}))",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, "lab", "tester.ipynb")
        box = page.wait_for_selector(".aml-endpoint-tester textarea.aml-request", timeout=60_000)
        box.fill(json.dumps({"data": [[1, 2, 3], [4, 5, 6]]}))
        box.dispatch_event("change")
        page.click(".aml-endpoint-tester .aml-send-json")
        page.wait_for_function(
            "() => (document.querySelector('.aml-endpoint-tester .aml-response') || {}).textContent?.includes('sums')",
            timeout=60_000)
        answer = json.loads(page.text_content(".aml-endpoint-tester .aml-response"))
        latency = page.text_content(".aml-endpoint-tester .aml-latency")
        canvas = wait_settled(page, ".aml-endpoint-tester canvas.aml-pad")
        # A vertical stroke near the right edge of the pad.
        x = canvas["x"] + canvas["width"] * 0.93
        page.mouse.move(x, canvas["y"] + 10)
        page.mouse.down()
        for i in range(1, 20):
            page.mouse.move(x, canvas["y"] + 10 + i * (canvas["height"] - 20) / 19)
        page.mouse.up()
        page.click(".aml-endpoint-tester .aml-send-digit")
        page.wait_for_function(
            "() => (document.querySelector('.aml-endpoint-tester .aml-response') || {}).textContent?.includes('digit')",
            timeout=60_000)
        digit = json.loads(page.text_content(".aml-endpoint-tester .aml-response"))
        screenshot(page, "endpoint-tester-lab")
    assert answer == {"sums": [12.0, 30.0]}
    assert latency.endswith(" ms")
    assert digit == {"digit": 9}
