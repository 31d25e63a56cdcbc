"""`%aml lineage` and the LineageGraph widget on the shared history: the magic returns the
lineage (a widget in a notebook); clicking a job opens the monitor of its kind; the static
fallbacks draw the same graph (SVG in HTML, PNG)."""

from __future__ import annotations

import base64

import pytest

from amlmagic.lineage import Lineage, build_lineage


@pytest.fixture
def shell(history, ip):
    from amlmagic.session import current_session

    current_session().connect_local(history.client.root)
    return ip


def test_the_magic_traces_each_noun_and_refuses_bad_input_in_one_line(shell, history):
    from IPython.core.error import UsageError as IPythonUsageError

    from amlmagic.errors import AmlMagicError

    lineage = shell.run("%aml lineage model -n lineage-model -v 1")
    assert isinstance(lineage, Lineage) and lineage.root == "model:lineage-model:1"
    assert shell.run("%aml lineage data -n features").root == "data:features:1"  # latest version
    assert shell.run("%aml lineage deployment -n blue -e lin-ep").root == "online-deployment:lin-ep/blue"
    assert shell.run("%aml lineage endpoint -n lin-ep").root == "online-endpoint:lin-ep"
    assert shell.run(f"%aml lineage job -n {history.best}").root == f"job:{history.best}"
    for line, why in (("%aml lineage model -n no-such-model", "no-such-model"),
                      ("%aml lineage compute -n local", "lineage of 'compute' is not known"),
                      ("%aml lineage -n lineage-model", "name what to trace")):
        with pytest.raises((AmlMagicError, IPythonUsageError)) as info:
            shell.run(line)
        assert why in str(info.value) and "\n" not in str(info.value)


def test_clicking_a_node_selects_it_and_opens_its_widget(history):
    from amlmagic.widgets import LineageGraph

    widget = LineageGraph(history.client, build_lineage(history.client, "model", "lineage-model", "1"))
    assert widget.title == "lineage of model lineage-model:1" and widget.to_dict()["root"] == "model:lineage-model:1"
    kinds = {n["key"]: n["kind"] for n in widget.nodes}
    assert kinds["online-endpoint:lin-ep"] == "online-endpoint"
    widget.act("select", key=f"job:{history.best}")
    assert widget.selected == f"job:{history.best}" and type(widget.opened).__name__ == "JobMonitor"
    first = widget.opened
    widget.act("select", key=f"job:{history.sweep}")
    assert type(widget.opened).__name__ == "SweepMonitor" and first.comm is None  # the previous one is closed
    widget.act("select", key=f"job:{history.pipeline}")
    assert type(widget.opened).__name__ == "PipelineGraph"
    widget.act("select", key="data:features:1")
    assert type(widget.opened).__name__ == "DataBrowser"
    assert widget.opened.selected == {"name": "features", "version": "1"} and widget.opened.preview
    widget.act("select", key="online-deployment:lin-ep/green")
    assert type(widget.opened).__name__ == "EndpointTester" and widget.opened.endpoint == "lin-ep"
    widget.act("select", key="model:lineage-model:1")
    assert widget.selected == "model:lineage-model:1" and widget.opened is None
    widget.act("select", key="nothing")
    assert widget.selected == "" and widget.opened is None


def test_static_fallbacks_draw_every_node(history):
    from amlmagic.widgets import LineageGraph

    widget = LineageGraph(history.client, build_lineage(history.client, "model", "lineage-model", "1"))
    bundle = widget._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.count("class='aml-node'") == len(widget.nodes) and "lineage of model lineage-model:1" in html
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
