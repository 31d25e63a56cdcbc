from azure.ai.ml.entities import AmlCompute

from amlmagic.widgets import ComputePicker


def test_choosing_a_compute_sets_the_default_and_records_the_line(client, recorded):
    client.compute.begin_create_or_update(AmlCompute(name="cpu", max_instances=3))
    picker = ComputePicker(client)
    assert [c["name"] for c in picker.computes] == ["local", "cpu"]
    assert picker.computes[1]["instances"] == "0-3"
    assert picker.default_compute == "local"
    picker.act("use", name="cpu")
    assert picker.error == ""
    assert client.compute.get_default() == "cpu"
    assert picker.default_compute == "cpu"
    assert picker.last_action == "%aml compute use -n cpu"
    assert recorded == ["%aml compute use -n cpu"]


def test_a_missing_compute_shows_an_error_in_the_widget(client, recorded):
    picker = ComputePicker(client)
    picker.act("use", name="nope")
    assert "not found" in picker.error
    assert recorded == []
    assert client.compute.get_default() == "local"


def test_static_html_marks_the_default(client):
    html = ComputePicker(client)._repr_mimebundle_()["text/html"]
    assert "default: local" in html and "<td style='padding:2px 8px'>local</td>" in html


def test_over_replay_the_choice_becomes_the_clients_default_and_goes_to_the_trail():
    from amlmagic.session import reset_session
    from tests.widgets.browser import REPO

    session = reset_session()
    try:
        client = session.connect_replay([str(REPO / "tests" / "backends" / "recordings" / "compute_list_show.json")])
        picker = ComputePicker(client)
        assert picker.computes == [{"name": "cpu-cluster", "type": "amlcompute", "size": "Standard_DS3_v2",
                                    "state": "Succeeded", "instances": "0-4"}]
        assert picker.default_compute == ""
        picker.act("use", name="cpu-cluster")
        assert picker.error == ""
        assert client.compute.get_default() == "cpu-cluster"
        assert picker.default_compute == "cpu-cluster"
        assert "%aml compute use -n cpu-cluster" in [entry.line for entry in session.trail]
    finally:
        reset_session()
