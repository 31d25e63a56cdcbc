"""A sweep end to end, as a notebook runs it: `%aml job create -f sweep.yml --stream`, a training
script that logs with mlflow, bandit early termination, `%aml job show` and `job list
--parent-job-name`, and the data the SweepMonitor widget reads.

The script's metric curve depends only on its parameter (accuracy at step k = q * k / 100) and
trials run one at a time in grid order q = 4, 1, 3, so the terminations are known in advance:
with slack_factor 0.5 from interval 2 on, a trial is canceled when q * N / 100 < (4 * N / 100) / 1.5,
i.e. q < 2.67: trial 1 (q = 1) is stopped, trial 2 (q = 3) is not, and trial 0 is the best.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from IPython.utils.capture import capture_output

TRAIN = """\
import argparse, os, time
import mlflow

p = argparse.ArgumentParser()
p.add_argument("--q", type=int)
a = p.parse_args()
print(f"q={a.q} AZUREML_SWEEP_q={os.environ.get('AZUREML_SWEEP_q')}", flush=True)
for k in range(1, 9):
    mlflow.log_metric("accuracy", a.q * k / 100, step=k)
    time.sleep(0.3)
os.makedirs("outputs", exist_ok=True)
open("outputs/result.txt", "w").write(str(a.q * 8 / 100))
"""

SWEEP = """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
display_name: bandit-e2e
experiment_name: sweep-e2e
trial:
  code: ./src
  command: python train.py --q ${{search_space.q}}
  environment: azureml:AzureML-sklearn-1.5@latest
compute: local
sampling_algorithm: grid
search_space:
  q:
    type: choice
    values: [4, 1, 3]
objective:
  goal: maximize
  primary_metric: accuracy
limits:
  max_total_trials: 3
  max_concurrent_trials: 1
  timeout: 300
early_termination:
  type: bandit
  slack_factor: 0.5
  evaluation_interval: 1
  delay_evaluation: 2
"""


def test_bandit_sweep_end_to_end_through_the_magics(ip, workspace, capsys):
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text(TRAIN)
    (workspace / "sweep.yml").write_text(textwrap.dedent(SWEEP))

    job = ip.run("%aml job create -f sweep.yml --stream")
    streamed = capsys.readouterr().out
    assert job.type == "sweep" and job.status == "Completed"
    name = job.name
    assert f"Early termination of '{name}_1'" in streamed
    assert "Changing Run Status from Running to Completed" in streamed

    from amlmagic.session import current_session

    client = current_session().client
    trials = {t.name: t for t in ip.run(f"%aml job list --parent-job-name {name}")}
    assert sorted(trials) == [f"{name}_0", f"{name}_1", f"{name}_2"]
    assert {n: t.status for n, t in trials.items()} == {
        f"{name}_0": "Completed", f"{name}_1": "Canceled", f"{name}_2": "Completed"}

    # The stopped trial records the policy and the numbers it compared, and they hold.
    mark = json.loads(trials[f"{name}_1"].properties["early_termination"])
    n = mark["interval"]
    assert mark["policy"] == "bandit" and 2 <= n < 8
    assert mark["numbers"]["trial_best"] == pytest.approx(1 * n / 100)
    assert mark["numbers"]["best"] == pytest.approx(4 * n / 100)
    assert mark["numbers"]["threshold"] == pytest.approx(4 * n / 100 / 1.5)
    assert "bandit" in mark["detail"]
    assert "early_termination" not in trials[f"{name}_2"].properties

    # Each trial is a job of its own: substituted command, AZUREML_SWEEP_q, MLflow run, outputs.
    for index, q in enumerate((4, 1, 3)):
        trial = f"{name}_{index}"
        assert f"q={q} AZUREML_SWEEP_q={q}" in client.jobs.read_log(trial)[0]
        assert json.loads(trials[trial].properties["hyperparameters"]) == {"q": q}
        assert trials[trial].experiment_name == "sweep-e2e"
    points = client.jobs.metrics_reader(f"{name}_0").read_new()["accuracy"]
    assert [v for _, _, v in points] == pytest.approx([4 * k / 100 for k in range(1, 9)])
    assert (client.jobs.local_dir(f"{name}_2") / "artifacts" / "outputs" / "result.txt").read_text() == "0.24"

    # The sweep carries its best trial like Azure, and `job show` lists the trials.
    sweep = client.jobs.get(name)
    assert sweep.properties["best_child_run_id"] == f"{name}_0"
    assert float(sweep.properties["score"]) == pytest.approx(0.32)
    assert json.loads(sweep.properties["best_hyperparameters"]) == {"q": 4}
    assert sweep.properties["trials_early_terminated"] == "1"
    with capture_output() as captured:
        shown = ip.run(f"%aml job show -n {name}")
    assert (shown.name, shown.type) == (name, "sweep")  # the sweep; its trials are displayed beneath it
    summary, table = (output.data["text/plain"] for output in captured.outputs)
    assert summary == f"trials ({len(trials)}), best: {name}_0"
    assert sorted(row.split()[0] for row in table.splitlines()[1:]) == sorted(trials)

    # What the sweep monitor shows: parameters, the policy that stopped a trial, the best trial.
    from amlmagic.widgets import SweepMonitor

    monitor = SweepMonitor(client, name, start=False)
    monitor.poll()
    rows = {row["name"]: row for row in monitor.trials}
    assert rows[f"{name}_1"]["terminated_by"] == "bandit"
    assert rows[f"{name}_0"]["params"] == {"q": 4}
    assert monitor.best_trial == f"{name}_0"
    monitor.close()
