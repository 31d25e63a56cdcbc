"""Shared by the tests/local/test_batch_*.py modules: a project folder with a scoring script
whose behaviour an environment variable picks, an endpoint and deployment on a real local
workspace, and reading what a job wrote."""

from __future__ import annotations

import textwrap
from pathlib import Path

SCORE_PY = textwrap.dedent("""
    import glob, os, time

    MODE = os.environ.get("MODE", "ok")

    def init():
        global factor
        print("init", os.getpid(), flush=True)
        if MODE == "init_fails":
            raise RuntimeError("cannot load the model")
        factor = int(open(glob.glob(f"{os.environ['AZUREML_MODEL_DIR']}/*/*.txt")[-1]).read())

    def _first_time(mini_batch):
        try:
            os.close(os.open(os.path.join(os.environ["MARKS"], os.path.basename(mini_batch[0])),
                             os.O_CREAT | os.O_EXCL))
            return True
        except FileExistsError:
            return False

    def run(mini_batch):
        names = [os.path.basename(p) for p in mini_batch]
        if MODE == "raise_once" and _first_time(mini_batch):
            raise ValueError("flaky " + names[0])
        if MODE == "hang_once" and _first_time(mini_batch):
            time.sleep(120)
        if MODE == "exit_once" and _first_time(mini_batch):
            os._exit(3)
        if MODE == "hang":
            time.sleep(120)
        while MODE == "gate" and "f024.txt" in names and not os.path.exists(os.path.join(os.environ["MARKS"], "gate")):
            time.sleep(0.05)
        if MODE == "raise_bad" and any("bad" in n for n in names):
            raise ValueError("cannot read " + [n for n in names if "bad" in n][0])
        if MODE == "summary":
            with open(os.path.join(os.environ["AZUREML_BI_OUTPUT_PATH"], names[0] + ".out"), "w") as f:
                f.write(str(len(names)))
        rows = [f"{n} {int(open(p).read()) * factor} {len(mini_batch)} {os.getpid()}" for n, p in zip(names, mini_batch)]
        return rows[:-1] if MODE == "fewer" else rows
""")


def make_project(root: Path, files: int = 25, script: str = SCORE_PY) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "score.py").write_text(script)
    (root / "model").mkdir(exist_ok=True)
    (root / "model" / "factor.txt").write_text("3")
    (root / "data").mkdir(exist_ok=True)
    for i in range(files):
        (root / "data" / f"f{i:03d}.txt").write_text(str(i))
    (root / "marks").mkdir(exist_ok=True)
    return root


def deploy(client, root: Path, *, endpoint: str = "ep-batch", name: str = "dpl", mode: str = "ok",
           settings: str = "", default: bool = True):
    from azure.ai.ml.entities import BatchEndpoint
    from azure.ai.ml.entities._load_functions import load_model_batch_deployment

    try:
        client.batch_endpoints.get(endpoint)
    except Exception:
        client.batch_endpoints.begin_create_or_update(BatchEndpoint(name=endpoint)).result()
    path = root / f"{name}.yml"
    path.write_text(textwrap.dedent(f"""
        name: {name}
        endpoint_name: {endpoint}
        type: model
        model:
          name: factor
          path: model
        code_configuration:
          code: src
          scoring_script: score.py
        compute: local
        settings:
          mini_batch_size: 10
          max_concurrency_per_instance: 2
          environment_variables:
            MODE: {mode}
            MARKS: {root / "marks"}
        """) + textwrap.indent(textwrap.dedent(settings), "  "))
    deployment = client.batch_deployments.begin_create_or_update(load_model_batch_deployment(str(path))).result()
    if default:
        ep = client.batch_endpoints.get(endpoint)
        ep.defaults = {"deployment_name": name}
        client.batch_endpoints.begin_create_or_update(ep).result()
    return deployment


def invoke(client, path, endpoint: str = "ep-batch", **kwargs):
    from azure.ai.ml import Input

    return client.batch_endpoints.invoke(endpoint, input=Input(type="uri_folder", path=str(path)), **kwargs)


def progress(client, name: str):
    from amlmagic.rules.batch import PROGRESS_LOG, parse_progress

    return parse_progress(client.jobs.read_log(name, log=PROGRESS_LOG)[0])


def predictions(client, name: str, file: str = "predictions.csv") -> list[str]:
    folder = Path(client.jobs.local_dir(name)) / "plan.json"
    import json

    plan = json.loads(folder.read_text())
    out = Path(plan["outputs"]["score"]["folder"]) / file
    return out.read_text().splitlines() if out.exists() else []
