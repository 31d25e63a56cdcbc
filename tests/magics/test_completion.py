"""Tab completion of `%aml` lines through IPython's own completer."""

import pytest

from amlmagic.magics.completion import complete_aml


@pytest.mark.parametrize("line,expected,absent", [
    ("%aml ", {"job", "data", "env", "online-endpoint", "connect"}, {"create"}),
    ("%aml job ", {"create", "list", "stream", "watch"}, {"--file"}),
    ("%aml env ", {"create", "show", "list"}, set()),
    ("%aml job create ", {"--file", "--stream", "--set", "--help"}, {"create"}),
    ("%aml job create -f job.yml ", {"--stream"}, {"--file"}),
    ("%aml connect ", {"--replay", "--subscription", "--local"}, set()),
    ("%aml bogus ", set(), {"create"}),
])
def test_candidates(line, expected, absent):
    candidates = set(complete_aml(line))
    assert expected <= candidates and not (absent & candidates)


def test_ipython_completes_through_the_hook(ip):
    assert "job" in ip.Completer.complete(line_buffer="%aml jo", cursor_pos=7)[1]
    text, matches = ip.Completer.complete(line_buffer="%aml job cr", cursor_pos=11)
    assert matches == ["create"]
    assert "--stream" in ip.Completer.complete(line_buffer="%aml job create --st", cursor_pos=20)[1]
