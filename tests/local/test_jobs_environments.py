"""Job environments: the current interpreter reused when it satisfies the conda file, otherwise a
venv built once per spec (from a wheel this test builds, so no network) and reused."""

from __future__ import annotations

import base64
import hashlib
import textwrap
import zipfile
from pathlib import Path

import pytest

from amlmagic.errors import NotFoundError
from amlmagic.local.client import LocalMLClient
from amlmagic.local.jobs.environments import conda_requirements, describe_environment, realize_environment


def build_wheel(folder: Path, name: str = "amltinypkg", version: str = "0.1") -> Path:
    """A pure-Python wheel by hand (the format is a zip with METADATA, WHEEL and RECORD)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VALUE = 'tiny {version}'\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return LocalMLClient(tmp_path / ".amlmagic")


def submit(client, folder: Path, text: str):
    from azure.ai.ml import load_job

    (folder / "job.yml").write_text(textwrap.dedent(text))
    return client.jobs.create_or_update(load_job(folder / "job.yml"))


def test_conda_file_to_pip_requirements():
    reqs, python = conda_requirements({"dependencies": [
        "python=3.10", "pip", "conda-forge::numpy=1.26", "scikit-learn=1.0.2", "pandas>=2",
        {"pip": ["mlflow", "azureml-mlflow==1.50"]},
    ]})
    assert python == "3.10"
    assert reqs == ["numpy==1.26.*", "scikit-learn==1.0.2", "pandas>=2", "mlflow", "azureml-mlflow==1.50"]


def test_satisfied_environment_reuses_the_current_python(client, tmp_path):
    import yaml

    (tmp_path / "conda.yml").write_text(f"dependencies:\n- python=3.11\n- pip\n- pip:\n  - pyyaml=={yaml.__version__}\n")
    job = submit(client, tmp_path, """\
        command: python -c "import sys; print(sys.executable)"
        environment:
          image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
          conda_file: conda.yml
        """)
    done = client.jobs.wait(job.name, timeout=60)
    assert done.status == "Completed"
    import sys

    assert client.jobs.read_log(job.name)[0].strip() == sys.executable
    assert not list((client.root / "envs").glob("*/venv"))
    env_log = (client.jobs.local_dir(job.name) / "user_logs" / "environment.txt").read_text()
    assert "reusing it" in env_log


def test_missing_requirement_builds_a_venv_once_then_reuses_it(client, tmp_path):
    from azure.ai.ml.entities import Environment

    wheel = build_wheel(tmp_path)
    (tmp_path / "conda.yml").write_text(f"dependencies:\n- pip\n- pip:\n  - {wheel}\n")
    client.environments.create_or_update(Environment(
        name="tiny", image="python:3.11", conda_file=str(tmp_path / "conda.yml")))
    script = 'command: python -c "import amltinypkg, yaml, sys; print(amltinypkg.VALUE, sys.prefix)"\n'
    first = submit(client, tmp_path, script + "environment: azureml:tiny@latest\n")
    done = client.jobs.wait(first.name, timeout=300)
    assert done.status == "Completed", done.error
    value, prefix = client.jobs.read_log(first.name)[0].split(" ", 2)[1:]
    assert value == "0.1" and "/envs/" in prefix  # system packages (yaml) stay visible
    built = list((client.root / "envs").glob("*/ready.json"))
    assert len(built) == 1 and (built[0].parent / "build.log").is_file()
    stamp = built[0].stat().st_mtime_ns

    second = submit(client, tmp_path, script + "environment: azureml:tiny:1\n")
    assert client.jobs.wait(second.name, timeout=120).status == "Completed"
    assert built[0].stat().st_mtime_ns == stamp
    assert "reusing" in (client.jobs.local_dir(second.name) / "user_logs" / "environment.txt").read_text()
    # The same environment, realized for an online deployment, gives the same interpreter.
    lines = []
    python = realize_environment(client, client.environments.get("tiny", "1"), lines.append)
    assert str(python).startswith(str(built[0].parent)) and any("reusing" in l for l in lines)


def test_failed_build_fails_the_job_with_the_build_log(client, tmp_path):
    (tmp_path / "conda.yml").write_text(f"dependencies:\n- pip:\n  - {tmp_path / 'no-such-1.0-py3-none-any.whl'}\n")
    job = submit(client, tmp_path, """\
        command: echo never
        environment:
          image: python:3.11
          conda_file: conda.yml
        """)
    done = client.jobs.wait(job.name, timeout=300)
    assert done.status == "Failed" and done.error.startswith("environment: building environment")
    assert "no-such-1.0" in done.error


def test_curated_and_missing_references(client):
    store = client.workspace.store
    for ref in ("azureml:AzureML-sklearn-1.5@latest",
                "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"):
        described = describe_environment(store, ref)
        assert described["kind"] == "current" and "curated" in described["notice"]
    with pytest.raises(NotFoundError, match="my-env"):
        describe_environment(store, "azureml:my-env:3")
