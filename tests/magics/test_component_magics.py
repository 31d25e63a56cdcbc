"""`%aml component ...` through a real IPython shell on the local backend."""

import textwrap

import pytest
from IPython.core.error import UsageError as IPythonUsageError

BODY = textwrap.dedent("""
    type: command
    name: greet
    inputs:
      who: {type: string, default: world}
    outputs:
      out: {type: uri_folder}
    environment: azureml:AzureML-sklearn-1.5@latest
    command: echo hello ${{inputs.who}} > ${{outputs.out}}/hello.txt
""")


def test_create_from_a_cell_and_a_file_show_list_archive_restore(ip, workspace):
    first = ip.run("%%aml component create\n" + BODY)
    assert (type(first).__name__, first.name, first.version) == ("CommandComponent", "greet", "1")
    (workspace / "greet.yml").write_text(BODY)
    second = ip.run("%aml component create -f greet.yml --set description=again")
    assert (second.version, second.description) == ("2", "again")
    assert ip.run("%aml component create -f greet.yml -v 10").version == "10"

    shown = ip.run("%aml component show -n greet")
    assert shown.version == "10"
    assert ip.run("%aml component show -n greet -v 1").version == "1"
    assert [c.version for c in ip.run("%aml component list -n greet")] == ["10", "2", "1"]
    assert [c.name for c in ip.run("%aml components list")] == ["greet"]

    ip.run("%aml component archive -n greet -v 10")
    assert [c.version for c in ip.run("%aml component list -n greet")] == ["2", "1"]
    assert [c.version for c in ip.run("%aml component list -n greet --archived-only")] == ["10"]
    assert [c.version for c in ip.run("%aml component list -n greet --include-archived")] == ["10", "2", "1"]
    assert ip.run("%aml component show -n greet").version == "2"
    ip.run("%aml component restore -n greet -v 10")
    assert ip.run("%aml component show -n greet").version == "10"


def test_errors_are_one_line(ip, workspace):
    with pytest.raises(IPythonUsageError, match="component nothing@latest not found"):
        ip.run("%aml component show -n nothing")
    bad = BODY.replace("{type: string, default: world}", "{type: strng}")
    with pytest.raises(IPythonUsageError) as err:
        ip.run("%%aml component create\n" + bad)
    assert "\n" not in str(err.value)
    with pytest.raises(IPythonUsageError, match="reserved name"):
        ip.run("%%aml component create\n" + BODY.replace("who", "path"))
    assert not (workspace / ".amlmagic" / "registry" / "components").exists()
