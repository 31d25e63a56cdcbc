"""The background import of azure-ai-ml started by `%load_ext amlmagic` (amlmagic/warm_up.py),
each in a fresh interpreter (azure.ai.ml not yet imported) driving a real IPython shell."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Records which thread first looks for each module, without changing how it is imported.
PRELUDE = textwrap.dedent("""
    import sys, threading, time
    FIRST = {}
    class Recorder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            FIRST.setdefault(name, threading.current_thread().name)
            return None
    sys.meta_path.insert(0, Recorder)
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    def run(cell):
        result = shell.run_cell(cell)
        if not result.success:
            raise SystemExit(f"cell failed: {cell!r}: {result.error_in_exec or result.error_before_exec!r}")
        return result.result
""")


def _python(script: str, cwd: Path, warm_up: bool = True) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env["AMLMAGIC_WARM_UP"] = "1" if warm_up else "0"
    out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def one_asset(tmp_path):
    """A notebook folder whose local workspace holds one data asset (made in its own interpreter)."""
    (tmp_path / "digits").mkdir()
    (tmp_path / "digits" / "train.csv").write_text("label\n1\n")
    _python("""
        run("%load_ext amlmagic")
        run("%aml data create -n digits -p ./digits -t uri_folder")
        print("made")
    """, tmp_path, warm_up=False)
    return tmp_path


def test_a_command_issued_at_once_waits_for_the_import_under_way(one_asset):
    out = _python("""
        from amlmagic.warm_up import THREAD_NAME, warm_up_thread
        run("%load_ext amlmagic")
        under_way = warm_up_thread().is_alive()
        names = [d.name for d in run("%aml data list")]
        print(under_way, names, FIRST["azure.ai.ml"] == THREAD_NAME, FIRST["azure.ai.ml.entities"] == THREAD_NAME)
    """, one_asset)
    # The command ran after the warm-up thread had imported azure-ai-ml (once, in that thread).
    assert out == "True ['digits'] True True"


def test_a_submodule_imported_by_the_next_cell_mid_import_does_not_deadlock(one_asset):
    """Without the cell gate the main thread would import azure-ai-ml's operations itself while the
    warm-up thread is inside azure.ai.ml: a deadlock between their module locks, or a partially
    initialized module."""
    out = _python("""
        from amlmagic.warm_up import THREAD_NAME, warm_up_thread
        run("%load_ext amlmagic")
        while "azure.ai.ml" not in sys.modules and warm_up_thread().is_alive():
            time.sleep(0.001)  # until the import is under way
        mid_import = "azure.ai.ml.operations._schedule_operations" not in sys.modules
        run("from azure.ai.ml.operations import DataOperations, ScheduleOperations")
        run("data = %aml data show -n digits")
        print(mid_import, shell.user_ns["data"].name, FIRST["azure.ai.ml.operations"] == THREAD_NAME)
    """, one_asset)
    assert out == "True digits True"


def test_load_ext_inside_a_cell_starts_the_warm_up_when_the_cell_ends(tmp_path):
    out = _python("""
        import amlmagic.warm_up as warm_up
        run("%load_ext amlmagic\\nimport amlmagic.warm_up as w\\nstarted_in_cell = w.warm_up_thread() is not None")
        started_after = warm_up.warm_up_thread() is not None
        warm_up.wait_for_warm_up()
        print(shell.user_ns["started_in_cell"], started_after, "azure.ai.ml.entities" in sys.modules)
    """, tmp_path)
    assert out == "False True True"


def test_the_warm_up_can_be_turned_off(one_asset):
    out = _python("""
        from amlmagic.warm_up import warm_up_thread
        run("%load_ext amlmagic")
        names = [d.name for d in run("%aml data list")]
        print(warm_up_thread(), names, FIRST["azure.ai.ml"])
    """, one_asset, warm_up=False)
    assert out == "None ['digits'] MainThread"
