"""Damaged state files of a local workspace (emptied, cut short) through the `%aml` magics: `show`
of a damaged entity is one line naming the file and what to do, lists show every healthy entity
plus one line beneath for each damaged one, other commands keep working, and nothing on disk is
touched."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError as IPythonUsageError
from IPython.utils.capture import capture_output

from amlmagic.errors import DamagedStateError
from amlmagic.local.osutil import read_json

JOB = """\
command: python -c "print('hi')"
environment: azureml:AzureML-sklearn-1.5@latest
compute: local
"""

DAMAGES = {"empty": "", "truncated": '{"spec": {"name": "x", "ver'}


def one_line_error(ip, line: str) -> str:
    with pytest.raises(IPythonUsageError) as info:
        ip.run(line)
    message = str(info.value)
    assert "\n" not in message, message
    return message


def run_with_notices(ip, line: str):
    """The cell's result and the lines displayed beneath it."""
    with capture_output() as captured:
        result = ip.run(line)
    return result, [output.data["text/plain"] for output in captured.outputs]


@pytest.fixture
def digits(workspace):
    folder = workspace / "digits"
    folder.mkdir()
    (folder / "train.csv").write_text("label,pixel\n1,0\n")
    return folder


@pytest.mark.parametrize("noun", ["data", "model"])
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_asset_version(ip, workspace, digits, noun, damage):
    for name in ("broken", "mixed", "mixed", "healthy"):
        ip.run(f"%aml {noun} create -n {name} -p digits")
    kind = "data" if noun == "data" else "models"
    broken = workspace / ".amlmagic" / "registry" / kind / "broken" / "1.json"
    mixed = workspace / ".amlmagic" / "registry" / kind / "mixed" / "1.json"
    for path in (broken, mixed):
        path.write_text(DAMAGES[damage])

    for line in (f"%aml {noun} show -n broken", f"%aml {noun} show -n broken -v 1"):
        message = one_line_error(ip, line)
        assert str(broken) in message and "damaged" in message and "delete it" in message

    listed, notices = run_with_notices(ip, f"%aml {noun} list")
    assert sorted((e.name, e.version) for e in listed) == [("healthy", "1"), ("mixed", "2")]
    assert sorted(notices) == sorted(n for n in notices if "\n" not in n)
    assert [str(broken) in n for n in notices].count(True) == 1
    assert [str(mixed) in n for n in notices].count(True) == 1
    versions, notices = run_with_notices(ip, f"%aml {noun} list -n mixed")
    assert [e.version for e in versions] == ["2"] and len(notices) == 1 and str(mixed) in notices[0]

    # Other commands keep working, and nothing was rewritten.
    assert ip.run(f"%aml {noun} show -n healthy").version == "1"
    assert ip.run(f"%aml {noun} create -n broken -p digits").version == "2"
    assert broken.read_text() == mixed.read_text() == DAMAGES[damage]


@pytest.mark.parametrize("file", ["record.json", "status.json"])
def test_a_damaged_job_file(ip, workspace, file):
    damaged, healthy = (ip.run("%%aml job create --stream\n" + JOB).name for _ in range(2))
    path = workspace / ".amlmagic" / "jobs" / damaged / file
    path.write_text(DAMAGES["truncated"])

    for line in (f"%aml job show -n {damaged}", f"%aml job cancel -n {damaged}"):
        message = one_line_error(ip, line)
        assert str(path) in message and f"delete the job's folder {path.parent}" in message

    listed, notices = run_with_notices(ip, "%aml job list")
    assert [j.name for j in listed] == [healthy]
    assert len(notices) == 1 and str(path) in notices[0] and "\n" not in notices[0]
    assert ip.run(f"%aml job show -n {healthy}").status == "Completed"
    assert path.read_text() == DAMAGES["truncated"]


def test_a_damaged_workspace_settings_file(ip, workspace, digits):
    ip.run("%aml data create -n digits -p digits")
    settings = workspace / ".amlmagic" / "workspace.json"
    settings.write_text("")

    summary, notices = run_with_notices(ip, "%aml workspace show")
    assert "  data assets        1" in summary.splitlines() and "  default compute    ?" in summary.splitlines()
    assert len(notices) == 1 and str(settings) in notices[0] and "connect again" in notices[0]
    listed, notices = run_with_notices(ip, "%aml data list")  # entities still list, with the notice
    assert [d.name for d in listed] == ["digits"] and str(settings) in notices[0]
    message = one_line_error(ip, "%aml compute use -n local")  # what needs the settings says why not
    assert str(settings) in message
    assert settings.read_text() == ""


def test_a_damaged_compute_record(ip, workspace):
    ip.run("%aml compute create -n pool-a --max-instances 1")
    ip.run("%aml compute create -n pool-b --max-instances 2")
    record = workspace / ".amlmagic" / "registry" / "computes" / "pool-a.json"
    record.write_text(DAMAGES["empty"])
    assert str(record) in one_line_error(ip, "%aml compute show -n pool-a")
    listed, notices = run_with_notices(ip, "%aml compute list")
    assert [c.name for c in listed] == ["local", "pool-b"] and len(notices) == 1 and str(record) in notices[0]


def test_a_damaged_endpoint_record(ip, workspace):
    from amlmagic.local.serving import stop_endpoint

    try:
        for name in ("ep-broken", "ep-healthy"):
            ip.run(f"%aml online-endpoint create -n {name}")
        record = workspace / ".amlmagic" / "registry" / "online_endpoints" / "ep-broken.json"
        record.write_text(DAMAGES["truncated"])

        message = one_line_error(ip, "%aml online-endpoint show -n ep-broken")
        assert str(record) in message and "%aml online-endpoint delete -n ep-broken" in message
        listed, notices = run_with_notices(ip, "%aml online-endpoint list")
        assert [e.name for e in listed] == ["ep-healthy"] and len(notices) == 1 and str(record) in notices[0]
        # The way out the message names works on the damaged record.
        assert ip.run("%aml online-endpoint delete -n ep-broken -y") == "online endpoint ep-broken deleted"
        assert not record.exists() and [e.name for e in ip.run("%aml online-endpoint list")] == ["ep-healthy"]
    finally:
        for folder in (workspace / ".amlmagic" / "endpoints").glob("*"):
            stop_endpoint(folder)


@pytest.mark.parametrize("text, reason", [("", "it is empty"), ("[1, 2]", "a JSON list, not an object"),
                                          ("\xff\xfe", "not JSON"), ('{"a": ', "not JSON")])
def test_read_json_names_the_file_the_damage_and_the_remedy(tmp_path, text, reason):
    path = tmp_path / "state.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DamagedStateError) as info:
        read_json(path, "delete it")
    assert str(info.value).startswith(f"state file {path} is damaged ({reason}")
    assert str(info.value).endswith(": delete it") and info.value.path == str(path)
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "missing.json")
