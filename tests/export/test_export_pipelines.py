"""Export of components and pipeline jobs: a registered component as its own YAML created before
the pipeline, the pipeline's inline components as files beside it (code copied), local data
beside it, the local compute as $COMPUTE; the YAML loads with azure-ai-ml, and deploy.sh
re-creates the whole thing in a fresh workspace, where the pipeline completes."""

import textwrap
from pathlib import Path

import yaml

from amlmagic.session import reset_session
from tests.export.conftest import exported_yamls, load_exported

GREET = textwrap.dedent("""
    type: command
    name: greet
    inputs:
      who: {type: string, default: world}
    outputs:
      out: {type: uri_folder}
    environment: azureml:AzureML-sklearn-1.5@latest
    command: echo hello ${{inputs.who}} > ${{outputs.out}}/hello.txt
""")

PIPELINE = textwrap.dedent("""
    type: pipeline
    display_name: export-me
    settings: {default_compute: azureml:local}
    jobs:
      greet:
        component: azureml:greet:1
        inputs: {who: export}
      count:
        component: ./count.yml
        inputs:
          numbers: {type: uri_folder, path: ./numbers}
          hello: ${{parent.jobs.greet.outputs.out}}
""")

COUNT = textwrap.dedent("""
    type: command
    name: count
    inputs:
      numbers: {type: uri_folder}
      hello: {type: uri_folder}
    code: ./count_src
    environment: azureml:AzureML-sklearn-1.5@latest
    command: python count.py ${{inputs.numbers}} ${{inputs.hello}}
""")

COUNT_PY = ("import pathlib, sys\nn = len(pathlib.Path(sys.argv[1], 'n.txt').read_text().split())\n"
            "print('count', n, pathlib.Path(sys.argv[2], 'hello.txt').read_text().strip())\n")


def _session(ip, workspace):
    (workspace / "count_src").mkdir()
    (workspace / "count_src" / "count.py").write_text(COUNT_PY)
    (workspace / "numbers").mkdir()
    (workspace / "numbers" / "n.txt").write_text("1 2 3")
    (workspace / "count.yml").write_text(COUNT)
    (workspace / "p.yml").write_text(PIPELINE)
    ip.run("%%aml component create\n" + GREET)
    job = ip.run("job = %aml job create -f p.yml --stream\njob")
    assert job.status == "Completed"
    ip.run("%aml export --dir aml-export")
    return workspace / "aml-export", job


def test_components_and_pipelines_export_as_loadable_yaml(ip, workspace):
    folder, job = _session(ip, workspace)
    loaded = [load_exported(p) for p in exported_yamls(folder)]
    assert {type(x).__name__ for x in loaded} >= {"CommandComponent", "PipelineJob"}
    spec = yaml.safe_load((folder / f"jobs/{job.name}/job.yml").read_text())
    assert spec["jobs"]["greet"]["component"] == "azureml:greet:1"
    assert spec["jobs"]["count"]["component"] == "./components/count.yml"
    assert spec["settings"]["default_compute"] == "azureml:cpu-cluster"
    count = yaml.safe_load((folder / f"jobs/{job.name}/components/count.yml").read_text())
    assert count["code"] == "./count_src"
    assert (folder / f"jobs/{job.name}/components/count_src/count.py").is_file()
    data = spec["jobs"]["count"]["inputs"]["numbers"]["path"]
    assert (folder / f"jobs/{job.name}" / data / "n.txt").read_text() == "1 2 3"
    deploy = (folder / "deploy.sh").read_text()
    assert deploy.index("az ml component create") < deploy.index("az ml job create")
    assert "settings.default_compute=azureml:$COMPUTE" in deploy or "settings.default_compute=azureml:${COMPUTE}" in deploy


def test_deploy_sh_recreates_the_component_and_the_pipeline(ip, workspace, az_shim, tmp_path_factory):
    folder, job = _session(ip, workspace)
    fresh = tmp_path_factory.mktemp("fresh")
    client = reset_session().connect_local(fresh / ".amlmagic")
    done = az_shim.run(folder / "deploy.sh", COMPUTE="local")
    assert done.returncode == 0, done.stderr + "\n".join(az_shim.lines)
    assert client.components.get("greet", version="1").inputs["who"].default == "world"
    [again] = client.jobs.list()
    assert client.jobs.wait(again.name, timeout=120).status == "Completed"
    steps = {s.display_name: s for s in client.jobs.list(parent_job_name=again.name)}
    assert "count 3 hello export" in client.jobs.read_log(steps["count"].name, 0)[0]
    assert Path(client.root).is_dir()
