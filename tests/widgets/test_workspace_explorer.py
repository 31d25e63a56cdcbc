from azure.ai.ml.entities import AmlCompute

from amlmagic.widgets import WorkspaceExplorer
from amlmagic.widgets.workspace_explorer import GROUPS


def test_tree_counts_and_details(client, tmp_path):
    client.compute.begin_create_or_update(AmlCompute(name="cpu", max_instances=2))
    explorer = WorkspaceExplorer(client)
    groups = {g["kind"]: g for g in explorer.tree}
    assert [g["kind"] for g in explorer.tree] == [k for k, _ in GROUPS]
    assert groups["compute"]["count"] == 2
    assert [i["name"] for i in groups["compute"]["items"]] == ["local", "cpu"]
    explorer.act("select", kind="compute", name="cpu")
    assert explorer.details["name"] == "cpu" and explorer.details["size"] == "Standard_DS3_v2"
    assert type(explorer.widget_for("compute", "cpu")).__name__ == "ComputePicker"
    assert "Compute</b> (2)" in explorer.static_html()
