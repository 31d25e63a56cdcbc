import pytest


@pytest.fixture
def recorded():
    """The `%aml` lines widget actions record (through the action hook)."""
    from amlmagic.widgets.actions import set_action_hook

    lines: list[str] = []
    set_action_hook(lambda entry: lines.append(entry.line))
    yield lines
    set_action_hook(None)


@pytest.fixture
def client(tmp_path):
    from amlmagic.local.client import LocalMLClient

    return LocalMLClient(tmp_path / "ws")


@pytest.fixture(autouse=True)
def _need_browser(request):
    """Tests marked `browser` skip, with the reason, where Chromium or playwright is missing."""
    if request.node.get_closest_marker("browser"):
        from tests.widgets.browser import skip_reason

        reason = skip_reason()
        if reason:
            pytest.skip(reason)
