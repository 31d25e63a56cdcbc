"""The magics driven through a real IPython shell, on the local backend."""

import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError as IPythonUsageError

from amlmagic.errors import AmlMagicError
from amlmagic.magics import run_aml


@pytest.fixture
def data_folder(workspace):
    folder = workspace / "digits"
    folder.mkdir()
    (folder / "train.csv").write_text("label,pixel\n1,0\n")
    return folder


def test_load_ext_imports_nothing_heavy():
    """%load_ext itself imports nothing heavy; azure.ai.ml is imported by the warm-up thread only
    (amlmagic/warm_up.py), and nothing else heavy at all."""
    code = textwrap.dedent("""
        import sys, threading
        FIRST = {}
        class Recorder:
            @staticmethod
            def find_spec(name, path=None, target=None):
                FIRST.setdefault(name, threading.current_thread().name)
        sys.meta_path.insert(0, Recorder)
        from IPython.core.interactiveshell import InteractiveShell
        InteractiveShell.instance().run_line_magic("load_ext", "amlmagic")
        def heavy():
            return sorted(m for m in FIRST if m.split(".")[0] in ("mlflow", "optuna", "matplotlib", "anywidget",
                                                                  "numpy") or m.startswith("azure.ai.ml"))
        by_main = [m for m in heavy() if FIRST[m] == "MainThread"]
        from amlmagic.warm_up import wait_for_warm_up
        wait_for_warm_up()
        print(by_main, sorted({FIRST[m] for m in heavy()}), "azure.ai.ml" in heavy(),
              [m for m in heavy() if not m.startswith("azure.ai.ml")])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] ['amlmagic-warm-up'] True []"


def test_create_returns_the_entity_and_list_a_table(ip, data_folder):
    data = ip.run("d = %aml data create -n digits -p digits -t uri_folder\nd")
    assert type(data).__name__ == "Data" and data.version == "1"
    listed = ip.run("%aml data list")
    assert [d.name for d in listed] == ["digits"]
    text = listed._repr_mimebundle_()["text/plain"].splitlines()
    assert text[0].split()[:3] == ["name", "version", "type"]
    assert text[1].split()[:3] == ["digits", "1", "uri_folder"]
    assert "<table" in listed._repr_mimebundle_()["text/html"]


def test_entities_display_as_field_lists(ip, data_folder):
    ip.run("%aml data create -n digits -p digits -t uri_folder")
    data = ip.run("%aml data show -n digits")
    formatted, _ = ip.display_formatter.format(data)
    assert formatted["text/plain"].splitlines()[0] == "Data"
    assert "name     digits" in formatted["text/plain"]
    assert "<table" in formatted["text/html"]


def test_cell_body_is_the_yaml_and_paths_resolve_against_the_notebook(ip, data_folder):
    data = ip.run("%%aml data create\nname: cell-data\ntype: uri_folder\npath: ./digits\ndescription: from a cell\n")
    assert (data.name, data.description) == ("cell-data", "from a cell")


def test_file_with_set_overrides_and_flags(ip, data_folder, workspace):
    (workspace / "data.yml").write_text("name: from-file\ntype: uri_folder\npath: digits\n")
    data = ip.run("%aml data create -f data.yml --set description=overridden -v 5")
    assert (data.name, data.version, data.description) == ("from-file", "5", "overridden")


def test_python_variables_expand_in_the_line(ip, data_folder):
    ip.user_ns["asset"] = "expanded"
    ip.user_ns["folder"] = "digits"
    data = ip.run("%aml data create -n {asset} -p $folder -t uri_folder")
    assert data.name == "expanded"


def test_invalid_yaml_names_the_line(ip, workspace):
    (workspace / "bad.yml").write_text("name: x\ntype: [unclosed\n")
    with pytest.raises(IPythonUsageError, match="invalid YAML in bad.yml line"):
        ip.run("%aml data create -f bad.yml")


def test_errors_are_one_line_usage_errors_and_change_nothing(ip, data_folder, workspace):
    ip.run("%aml data create -n digits -p digits -t uri_folder -v 1")
    before = sorted(p.relative_to(workspace) for p in (workspace / ".amlmagic").rglob("*") if "locks" not in p.parts)
    for line in ["%aml data create -n digits -p digits -t uri_folder -v 1",
                 "%aml data create -n digits -p nowhere -t uri_folder",
                 "%aml data create -n 'bad name' -p digits",
                 "%aml data show -n nothing",
                 "%aml data create -f missing.yml"]:
        with pytest.raises(IPythonUsageError) as info:
            ip.run(line)
        assert "\n" not in str(info.value)
    after = sorted(p.relative_to(workspace) for p in (workspace / ".amlmagic").rglob("*") if "locks" not in p.parts)
    assert before == after


def test_environment_cell_as_requirements_and_as_conda(ip):
    env = ip.run("%%aml env create -n reqs\nnumpy\nscikit-learn>=1.3\n")
    pip = env.conda_file["dependencies"][-1]["pip"]
    assert pip == ["numpy", "scikit-learn>=1.3"]
    conda = ip.run("%%aml environment create -n conda --image python:3.11\nname: x\ndependencies:\n  - python=3.11\n  - pip:\n    - requests\n")
    assert conda.image == "python:3.11" and conda.conda_file["dependencies"][1] == {"pip": ["requests"]}
    assert ip.run("%aml env show -n conda").version == "1"


def test_compute_pool_and_default(ip):
    ip.run("%aml compute create -n pool --max-instances 1")
    assert "default compute: pool" in ip.run("%aml compute use -n pool")
    shown = ip.run("%aml workspace show")
    assert "computes           2" in shown and "default compute    pool" in shown


def test_help_texts(ip):
    assert "%aml <noun> <verb>" in ip.run("%aml help")
    assert "-p, --parent-job-name" in ip.run("%aml job --help")
    assert "%aml data create" in ip.run("%aml help data")


def test_model_from_path_and_show(ip, data_folder):
    model = ip.run("%aml model create -n clf -p digits")
    assert (model.name, model.type, model.version) == ("clf", "custom_model", "1")
    assert ip.run("%aml model show -n clf").version == "1"


def test_the_session_trail_records_creates(ip, data_folder):
    from amlmagic.session import current_session

    ip.run("%aml data create -n digits -p digits -t uri_folder")
    ip.run("%aml data list")
    trail = current_session().trail
    assert [e.line for e in trail] == ["%aml data create -n digits -p digits -t uri_folder"]
    assert trail[0].entity.name == "digits"


_words = st.sampled_from(["data", "env", "compute", "model", "datastore", "job", "create", "list", "show", "use",
                          "-n", "x", "-p", ".", "-t", "uri_file", "uri_folder", "--set", "a=1", "-v", "2",
                          "--max-instances", "0", "1", "-f", "nope.yml", "--bogus", "'", "help", "workspace"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_words, min_size=1, max_size=7))
def test_random_lines_work_or_raise_one_line_errors(workspace, words):
    line = " ".join(words)
    try:
        run_aml(line)
    except AmlMagicError as exc:
        assert str(exc) and "\n" not in str(exc), line


def test_download_latest_data_and_model_versions(ip, data_folder, workspace):
    ip.run("%aml data create -n digits -p digits -t uri_folder")
    (data_folder / "train.csv").write_text("label,pixel\n2,1\n")
    ip.run("%aml data create -n digits -p digits -t uri_folder")
    ip.run("%aml data download -n digits --download-path out")
    assert (workspace / "out" / "digits" / "train.csv").read_text() == "label,pixel\n2,1\n"
    ip.run("%aml model create -n clf -p digits")
    ip.run("%aml model download -n clf -p models")
    assert (workspace / "models" / "clf" / "digits" / "train.csv").is_file()
