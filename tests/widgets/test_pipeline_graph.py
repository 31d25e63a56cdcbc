"""PipelineGraph on a real local pipeline: steps, edges and layout from the client interface,
reused steps marked with why, a step's JobMonitor on click, static SVG and PNG fallbacks."""

import base64
import textwrap

import pytest
from azure.ai.ml import load_job

from amlmagic.local.client import LocalMLClient
from amlmagic.widgets import JobMonitor, PipelineGraph
from amlmagic.widgets.pipeline_graph import graph_layout

PIPELINE = textwrap.dedent("""
    type: pipeline
    display_name: abc
    settings: {default_compute: azureml:local}
    jobs:
      a:
        command: echo made > ${{outputs.out}}/x.txt && echo step a
        environment: azureml:AzureML-sklearn-1.5@latest
        outputs: {out: {type: uri_folder}}
      b:
        command: cat ${{inputs.src}}/x.txt
        environment: azureml:AzureML-sklearn-1.5@latest
        inputs: {src: "${{parent.jobs.a.outputs.out}}"}
      c:
        command: cat ${{inputs.first}}/x.txt
        environment: azureml:AzureML-sklearn-1.5@latest
        inputs: {first: "${{parent.jobs.a.outputs.out}}"}
""")


@pytest.fixture
def finished(tmp_path):
    client = LocalMLClient(tmp_path / ".amlmagic")
    (tmp_path / "p.yml").write_text(PIPELINE)
    names = []
    for _ in range(2):  # the second run reuses every step
        job = client.jobs.create_or_update(load_job(tmp_path / "p.yml"))
        assert client.jobs.wait(job.name, timeout=120).status == "Completed"
        names.append(job.name)
    return client, names


def test_layout_puts_each_step_one_column_after_what_it_reads():
    edges = [("a", "o", "b", "i"), ("b", "o", "d", "i"), ("a", "o", "c", "i")]
    assert graph_layout(["a", "b", "c", "d"], edges) == {"a": (0, 0), "b": (1, 0), "c": (1, 1), "d": (2, 0)}


def test_the_graph_shows_steps_edges_statuses_and_reuse(finished):
    client, (first, second) = finished
    graph = PipelineGraph(client, second, start=False)
    steps = {s["key"]: s for s in graph.steps}
    assert graph.status == "Completed" and set(steps) == {"a", "b", "c"}
    assert {(e["source"], e["target"], e["label"]) for e in graph.edges} == {("a", "b", "out → src"),
                                                                         ("a", "c", "out → first")}
    assert [(steps[k]["column"], steps[k]["row"]) for k in "abc"] == [(0, 0), (1, 0), (1, 1)]
    assert all(s["reused"] and s["reason"].startswith("reused ") for s in steps.values())
    fresh = {s["key"]: s for s in PipelineGraph(client, first, start=False).steps}
    assert not fresh["a"]["reused"] and fresh["a"]["reason"] == "ran: first run of this step"
    assert fresh["a"]["elapsed_s"] is not None


def test_selecting_a_step_opens_its_job_monitor(finished):
    client, (first, _) = finished
    graph = PipelineGraph(client, first, start=False)
    graph.act("select", key="b")
    assert isinstance(graph.monitor, JobMonitor)
    assert graph.monitor.job_name == next(s["job"] for s in graph.steps if s["key"] == "b")
    graph.monitor.poll()
    assert "made" in graph.monitor.log_tail
    graph.act("select", key="nothing")
    assert graph.monitor is None and graph.selected == ""


def test_static_fallbacks_draw_the_final_graph(finished):
    client, (first, second) = finished
    graph = PipelineGraph(client, second, start=False)
    html = graph.static_html()
    assert html.count("<g class='aml-step'") == 3
    assert "data-status='Completed'" in html and "♻ reused" in html and "out → src" in html
    png = base64.b64decode(graph.static_png())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(0, image.width, 4) for y in range(0, image.height, 4)}
    assert (200, 236, 208) in colours  # the Completed fill
