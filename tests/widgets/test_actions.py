from types import SimpleNamespace

from amlmagic.widgets.actions import aml_line, record_widget_action, set_action_hook


def test_aml_line_uses_short_and_long_flags_and_quotes_values():
    assert aml_line("compute", "use", n="cpu") == "%aml compute use -n cpu"
    assert aml_line("data", "create", n="d", p="my folder/x", d=None, wait=True) == \
        "%aml data create -n d -p 'my folder/x' --wait"
    assert aml_line("online-endpoint", "invoke", deployment_name="blue") == \
        "%aml online-endpoint invoke --deployment-name blue"


def test_record_goes_through_the_hook_as_a_structured_action():
    seen = []
    set_action_hook(seen.append)
    try:
        assert record_widget_action("job", "cancel", None, n="j") == "%aml job cancel -n j"
        assert record_widget_action("compute", "use", SimpleNamespace(name="cpu"), n="cpu") == "%aml compute use -n cpu"
    finally:
        set_action_hook(None)
    assert [(e.noun, e.verb, e.key, e.line) for e in seen] == [
        ("job", "cancel", ("job", "j"), "%aml job cancel -n j"),
        ("compute", "use", ("compute", "cpu"), "%aml compute use -n cpu"),
    ]
    assert seen[1].entity.name == "cpu"


def test_without_a_hook_the_action_goes_to_the_sessions_trail():
    from amlmagic.session import current_session, reset_session

    reset_session()
    try:
        record_widget_action("online-endpoint", "invoke", None, n="ep", request_file="r.json")
        [entry] = current_session().trail
        assert (entry.noun, entry.verb, entry.key, entry.entity) == ("online-endpoint", "invoke", ("online-endpoint", "ep"), None)
    finally:
        reset_session()
