"""The plugin is found through the pytest11 entry point, and costs nothing to `import amlmagic`
or `%load_ext amlmagic`: pytest imports it, and it imports no backend until a test asks."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest
import tomllib
from conftest import REPO

pytest_plugins = ["pytester"]


def _modules_after(code: str) -> set:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, capture_output=True,
                         text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_amlmagic_and_load_ext_do_not_load_the_plugin():
    loaded = _modules_after("import amlmagic")
    assert "amlmagic.pytest_plugin" not in loaded and "pytest" not in loaded and "_pytest" not in loaded
    loaded = _modules_after("from IPython.core.interactiveshell import InteractiveShell\n"
                            "InteractiveShell.instance().run_line_magic('load_ext', 'amlmagic')")
    assert "amlmagic.pytest_plugin" not in loaded and "pytest" not in loaded and "_pytest" not in loaded


def test_the_plugin_module_imports_no_backend():
    loaded = _modules_after("import amlmagic.pytest_plugin")
    heavy = {m for m in loaded if m.split(".")[0] in ("azure", "mlflow", "numpy", "requests")
             or m.startswith(("amlmagic.backends", "amlmagic.local"))}
    assert heavy == set()


def test_entry_point_is_declared_and_loads_once_installed():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    assert declared == {"amlmagic.pytest_plugin": "amlmagic.pytest_plugin"}
    dist = importlib.metadata.distribution("amlmagic")
    origin = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    if origin != REPO.as_uri():
        pytest.skip(f"the installed amlmagic comes from {origin or 'an index'}, not this checkout ({REPO}): "
                    "its entry points are that install's; `pip install -e .` here to check them")
    (entry,) = [e for e in dist.entry_points if e.group == "pytest11"]
    import amlmagic.pytest_plugin

    assert entry.name == "amlmagic.pytest_plugin" and entry.load() is amlmagic.pytest_plugin


def test_an_installed_entry_point_autoloads_the_plugin_once(pytester, monkeypatch):
    """What an install of this pyproject gives pytest: a dist-info whose pytest11 entry point is the
    declared one. pytest then loads the plugin without -p, and -p on top registers nothing twice."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    site = pytester.mkdir("site")
    info = site / "amlmagic_entry_point_probe-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: amlmagic-entry-point-probe\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\n" + "".join(f"{k} = {v}\n" for k, v in declared.items()))
    monkeypatch.setenv("PYTHONPATH", f"{REPO}:{site}")
    pytester.makepyfile(test_user="def test_x(aml_client):\n    assert aml_client.root.is_dir()\n")
    alone = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300)
    alone.assert_outcomes(passed=1)
    both = pytester.runpytest_subprocess("-p", "amlmagic.pytest_plugin", "-p", "no:cacheprovider", "-q", timeout=300)
    both.assert_outcomes(passed=1)
    off = pytester.runpytest_subprocess("-p", "no:amlmagic.pytest_plugin", "-p", "no:cacheprovider", "-q", timeout=300)
    assert "fixture 'aml_client' not found" in off.stdout.str()


def test_plugin_registers_its_option_and_marker(run_user_tests, pytester):
    pytester.makepyfile(test_user="def test_nothing():\n    pass\n")
    assert "--aml-record" in run_user_tests("--help").stdout.str()
    assert "@pytest.mark.aml_recording(path)" in run_user_tests("--markers").stdout.str()
    # a marker without its path is a usage error that says how to write it
    pytester.makepyfile(test_user="import pytest\n\n@pytest.mark.aml_recording()\ndef test_x(aml_client):\n    pass\n")
    result = run_user_tests("--strict-markers", "-q")
    assert "give one path: @pytest.mark.aml_recording('recordings/name.json')" in result.stdout.str() + result.stderr.str()
