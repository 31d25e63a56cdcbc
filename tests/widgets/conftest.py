import pytest


@pytest.fixture
def recorded():
    """The `%aml` lines widget actions record (through the action hook)."""
    from amlmagic.widgets.actions import set_action_hook

    lines: list[str] = []
    set_action_hook(lambda line, entity: lines.append(line))
    yield lines
    set_action_hook(None)


@pytest.fixture
def client(tmp_path):
    from amlmagic.local.client import LocalMLClient

    return LocalMLClient(tmp_path / "ws")
