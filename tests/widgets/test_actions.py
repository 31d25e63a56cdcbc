from amlmagic.widgets.actions import aml_line, record_widget_action, set_action_hook


def test_aml_line_uses_short_and_long_flags_and_quotes_values():
    assert aml_line("compute", "use", n="cpu") == "%aml compute use -n cpu"
    assert aml_line("data", "create", n="d", p="my folder/x", d=None, wait=True) == \
        "%aml data create -n d -p 'my folder/x' --wait"
    assert aml_line("online-endpoint", "invoke", deployment_name="blue") == \
        "%aml online-endpoint invoke --deployment-name blue"


def test_record_goes_through_the_hook():
    seen = []
    set_action_hook(lambda line, entity: seen.append((line, entity)))
    try:
        assert record_widget_action("%aml job cancel -n j", entity="E") == "%aml job cancel -n j"
    finally:
        set_action_hook(None)
    assert seen == [("%aml job cancel -n j", "E")]
