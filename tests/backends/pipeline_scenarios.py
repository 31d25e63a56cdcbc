"""The pipeline job scenarios of make_recordings.py, and what replaying them must give.

A three-step pipeline (prepare -> train -> evaluate, each step reading the previous one's output)
with inline command steps and a `code:` folder, submitted with `load_job` as a user would. On the
fake Azure ML server (fake_pipelines.py) `prepare` is reused from an earlier pipeline, `train`
runs for a while, writes a log and logs metrics, then `evaluate` runs.

- `pipeline_job` (through the client): submit, the pipeline graph widget built and polled to the
  end, a step's job monitor opened from the graph, a step shown, its log read and its metrics read; `drive_pipeline` is the one sequence of
  calls, run when recording and again on replay.
- `magics_pipeline_job`: `%aml job create -f`, `job show` of the pipeline (its steps beneath),
  `job list --parent-job-name`, `job show` and `job stream` of a step.
- `magics_pipeline_stream`: `%aml job create -f --stream` (outside a kernel: the pipeline's
  execution log followed to its end), then `job show`.
- `magics_pipeline_cancel`: `%aml job cancel` of the pipeline while a step runs, then `job show`.
- `pipeline_step_failed` (through the client): `train` fails; the pipeline waited for, its steps
  listed, the failed step streamed (`drive_failed_pipeline`).
"""

from __future__ import annotations

from pathlib import Path

from fake_pipelines import step_run_id

__all__ = ["PIPELINE", "PIPELINE_YML", "PIPELINE_FILES", "STEPS", "EARLIER_PREPARE", "TRAIN_LOG", "TRAIN_METRICS",
           "pipeline_setup", "write_pipeline_files", "drive_pipeline", "pipeline_scenario", "magic_lines",
           "stream_lines", "stream_setup", "cancel_lines", "drive_failed_pipeline", "failed_pipeline_scenario"]

PIPELINE = "pipe-job-1"
STEPS = {key: step_run_id(PIPELINE, key) for key in ("prepare", "train", "evaluate")}
EARLIER_PREPARE = step_run_id("pipe-job-0", "prepare")  # the run `prepare` reuses
TRAIN_LOG = "loading prepared data\nepoch 1 loss 0.90\nepoch 2 loss 0.45\nmodel saved\n"
TRAIN_METRICS = [("loss", 0, 0.9), ("loss", 1, 0.45), ("accuracy", 1, 0.82)]

PIPELINE_YML = f"""\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
name: {PIPELINE}
display_name: prepare-train-evaluate
experiment_name: demo
settings:
  default_compute: azureml:cpu-cluster
  continue_on_step_failure: false
inputs:
  epochs: 2
jobs:
  prepare:
    command: python prep.py --out ${{{{outputs.prepared}}}}
    code: ./src
    environment: azureml:sklearn-env:1
    outputs:
      prepared: {{type: uri_folder}}
  train:
    command: python train.py --data ${{{{inputs.data}}}} --epochs ${{{{inputs.epochs}}}} --model ${{{{outputs.model}}}}
    code: ./src
    environment: azureml:sklearn-env:1
    inputs:
      data: ${{{{parent.jobs.prepare.outputs.prepared}}}}
      epochs: ${{{{parent.inputs.epochs}}}}
    outputs:
      model: {{type: uri_folder}}
  evaluate:
    command: python evaluate.py --model ${{{{inputs.model}}}}
    code: ./src
    environment: azureml:sklearn-env:1
    inputs:
      model: ${{{{parent.jobs.train.outputs.model}}}}
"""
PIPELINE_FILES = {
    "pipeline.yml": PIPELINE_YML,
    "src/prep.py": "print('prepared')\n",
    "src/train.py": "print('trained')\n",
    "src/evaluate.py": "print('evaluated')\n",
}


def write_pipeline_files(folder: Path) -> None:
    for name, text in PIPELINE_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def pipeline_setup(fake) -> None:
    """What the fake answers for the pipeline's steps: prepare reused, train's run, log and metrics."""
    fake.pipelines.reused[STEPS["prepare"]] = EARLIER_PREPARE
    fake.run_status[STEPS["train"]] = ["Running", "Running", "Running", "Completed"]
    fake.run_status[STEPS["evaluate"]] = ["Running", "Running", "Completed"]
    fake.logs[STEPS["train"]] = TRAIN_LOG.encode()
    fake.metrics[STEPS["train"]] = [{"key": key, "value": value, "timestamp": 1767607200000 + i * 1000, "step": step}
                                    for i, (key, step, value) in enumerate(TRAIN_METRICS)]


def drive_pipeline(client, folder: Path) -> dict:
    """The client scenario's calls, in order; what they gave (recording and replay run this)."""
    from azure.ai.ml import load_job

    from amlmagic.widgets import PipelineGraph

    seen: dict = {"created": client.jobs.create_or_update(load_job(folder / "pipeline.yml"))}
    graph = PipelineGraph(client, PIPELINE, start=False)  # the pipeline's spec, then its steps
    seen["first_steps"] = [dict(s) for s in graph.steps]
    seen["first_status"] = graph.status
    polls = 1
    while graph.poll():
        polls += 1
    seen.update(graph=graph, polls=polls)
    graph.do_select("train")  # clicking a step opens its job monitor below the graph
    graph.monitor.wait(30)
    seen["monitor"] = graph.monitor
    seen["step"] = client.jobs.get(STEPS["train"])
    seen["log"] = client.jobs.read_log(STEPS["train"])
    seen["metrics"] = client.jobs.metrics_reader(STEPS["train"]).read_new()
    seen["children"] = list(client.jobs.list(parent_job_name=PIPELINE))
    return seen


def pipeline_scenario(client, fake, tmp: Path) -> None:
    """make_recordings' client scenario `pipeline_job`."""
    pipeline_setup(fake)
    write_pipeline_files(tmp)
    drive_pipeline(client, tmp)


def magic_lines() -> list:
    """make_recordings' `magics_pipeline_job` lines."""
    return ["job create -f pipeline.yml", f"job show -n {PIPELINE}", f"job list --parent-job-name {PIPELINE}",
            f"job show -n {STEPS['prepare']}", f"job stream -n {STEPS['train']}", f"job show -n {PIPELINE}"]


def stream_lines() -> list:
    """make_recordings' `magics_pipeline_stream` lines."""
    return ["job create -f pipeline.yml --stream", f"job show -n {PIPELINE}"]


def stream_setup(fake) -> None:
    """As pipeline_setup, with steps that finish sooner (the stream sleeps between its polls), yet
    not before the stream's first look (MLClient prints a log only while the job runs)."""
    pipeline_setup(fake)
    fake.run_status[STEPS["train"]] = ["Running", "Running", "Completed"]
    fake.run_status[STEPS["evaluate"]] = ["Running", "Completed"]


def cancel_lines() -> list:
    """make_recordings' `magics_pipeline_cancel` lines."""
    return ["job create -f pipeline.yml", f"job show -n {PIPELINE}", f"job cancel -n {PIPELINE}",
            f"job show -n {PIPELINE}"]


def drive_failed_pipeline(client, folder: Path) -> dict:
    """The `pipeline_step_failed` scenario's calls, in order; what they gave."""
    import io
    from contextlib import redirect_stdout

    from azure.ai.ml import load_job

    from amlmagic.errors import AmlMagicError

    client.jobs.create_or_update(load_job(folder / "pipeline.yml"))
    seen: dict = {"pipeline": client.jobs.wait(PIPELINE)}
    seen["children"] = list(client.jobs.list(parent_job_name=PIPELINE))
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            client.jobs.stream(STEPS["train"])
    except AmlMagicError as exc:
        seen["error"] = exc
    seen["streamed"] = out.getvalue()
    return seen


def failed_pipeline_scenario(client, fake, tmp: Path) -> None:
    """make_recordings' client scenario `pipeline_step_failed`: train fails after its log."""
    pipeline_setup(fake)
    fake.run_status[STEPS["train"]] = ["Running", "Failed"]
    write_pipeline_files(tmp)
    drive_failed_pipeline(client, tmp)
