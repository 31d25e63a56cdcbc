"""SweepMonitor driven by real local sweeps (controller, trials, early termination)."""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace

from amlmagic.widgets import SweepMonitor

SRC = Path(__file__).parent / "jobsrc"


def submit_sweep(client, lrs: list[float], extra: str = "", policy=None, concurrent: int = 1):
    from azure.ai.ml import command
    from azure.ai.ml.sweep import Choice

    trial = command(code=str(SRC), command=f"python train.py --steps 6 --lr ${{{{search_space.lr}}}} {extra}",
                    compute="local")
    sweep = trial.sweep(sampling_algorithm="grid", primary_metric="acc", goal="maximize", compute="local",
                        early_termination_policy=policy)
    sweep.search_space = {"lr": Choice(lrs)}
    sweep.display_name = "widget-sweep"
    sweep.set_limits(max_total_trials=len(lrs), max_concurrent_trials=concurrent)
    return client.jobs.create_or_update(sweep)


def test_trials_curves_and_best_of_a_finished_sweep(client):
    sweep = submit_sweep(client, [0.5, 5.0, 2.0], concurrent=2)
    monitor = SweepMonitor(client, sweep.name, interval=0.2)
    assert monitor.wait(240), "polling did not stop when the sweep ended"
    monitor.stop()
    assert monitor.status == "Completed"
    assert (monitor.primary_metric, monitor.goal, monitor.params) == ("acc", "maximize", ["lr"])
    by_lr = {tr["params"]["lr"]: tr for tr in monitor.trials}
    assert sorted(by_lr) == [0.5, 2.0, 5.0]
    assert all(tr["status"] == "Completed" and tr["steps"] == 6 for tr in monitor.trials)
    assert by_lr[5.0]["metric"] == 1 - 1 / (1 + 5.0 * 6)  # acc at the last step is the best
    assert monitor.best_trial == by_lr[5.0]["name"]
    assert set(monitor.store.series) == {tr["name"] for tr in monitor.trials}
    bundle = monitor._repr_mimebundle_()
    assert "widget-sweep" in bundle["text/html"] and "Completed" in bundle["text/html"]
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"


def test_an_early_terminated_trial_is_marked_with_its_policy(client):
    from azure.ai.ml.sweep import BanditPolicy

    # Sequential trials: lr=5 finishes first; lr=0.05 holds after 3 points until the bandit
    # policy (slack 10%) cancels it for being far behind.
    sweep = submit_sweep(client, [5.0, 0.05], extra="--hold-below 1",
                         policy=BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=0))
    monitor = SweepMonitor(client, sweep.name, interval=0.2)
    assert monitor.wait(240)
    monitor.stop()
    by_lr = {tr["params"]["lr"]: tr for tr in monitor.trials}
    stopped = by_lr[0.05]
    assert stopped["status"] == "Canceled"
    assert "bandit" in stopped["terminated_by"].lower()
    assert by_lr[5.0]["terminated_by"] == ""
    assert monitor.best_trial == by_lr[5.0]["name"]
    assert f"stopped by {stopped['terminated_by']}" in monitor.static_html()


def test_the_best_trial_so_far_follows_the_goal_among_completed_trials():
    """Before the backend names one, the monitor picks by rules.best_trial: a trial that did not
    complete (still running, stopped early) is never the best, however good its metric."""
    trials = [{"name": "a", "status": "Completed", "metric": 0.2}, {"name": "b", "status": "Completed", "metric": 0.9},
              {"name": "c", "status": "Completed", "metric": None}, {"name": "d", "status": "Canceled", "metric": 5.0},
              {"name": "e", "status": "Running", "metric": -1.0}]
    best = SweepMonitor._best_so_far
    assert best(SimpleNamespace(goal="maximize"), trials) == "b"
    assert best(SimpleNamespace(goal="minimize"), trials) == "a"
    assert best(SimpleNamespace(goal="maximize"), [{"name": "x", "status": "Completed", "metric": None}]) == ""
