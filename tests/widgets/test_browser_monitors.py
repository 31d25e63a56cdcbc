"""Real browser: a notebook in JupyterLab / Notebook 7 runs a real local job and a sweep; the
monitors render and update live (points arrive while the job runs, status reaches Completed,
the parallel coordinates have one line per trial)."""

from __future__ import annotations

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, wait_settled, write_notebook
from tests.widgets.test_job_monitor import SRC

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _points(page, metric: str) -> int:
    value = page.evaluate(
        f"() => document.querySelector('.aml-job-monitor .aml-chart[data-metric=\"{metric}\"]')?.dataset.points")
    return int(value or 0)


@pytest.mark.parametrize("kind", ["lab", "notebook"])
def test_job_monitor_updates_live_and_completes(tmp_path, kind):
    gate = tmp_path / "gate"
    write_notebook(tmp_path / "job.ipynb", [
        "from azure.ai.ml import command\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import JobMonitor\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"job = client.jobs.create_or_update(command(code={str(SRC)!r}, compute='local',\n"
        f"    command='python train.py --steps 10 --lr 0.5 --gate {gate}', display_name='browser-train'))\n"
        "JobMonitor(client, job.name)",
    ])
    with jupyter_server(kind, tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, kind, "job.ipynb")
        # Half of the points are charted while the job is still running (waiting at its gate).
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="loss"][data-points="5"]', timeout=120_000)
        running = page.get_attribute(".aml-job-monitor", "data-status")
        screenshot(page, f"job-monitor-running-{kind}")
        gate.write_text("go")
        page.wait_for_selector('.aml-job-monitor[data-status="Completed"]', timeout=120_000)
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="loss"][data-points="10"]', timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('.aml-job-monitor .aml-log')?.textContent.includes('training done')",
            timeout=30_000)
        acc_points = _points(page, "acc")
        cancel_disabled = page.is_disabled(".aml-job-monitor .aml-cancel")
        screenshot(page, f"job-monitor-done-{kind}")
    assert running in ("Running", "Starting", "Preparing", "Queued")
    assert acc_points == 10
    assert cancel_disabled


@pytest.mark.parametrize("kind", ["lab", "notebook"])
def test_sweep_monitor_draws_one_line_per_trial(tmp_path, kind):
    write_notebook(tmp_path / "sweep.ipynb", [
        "from azure.ai.ml import command\n"
        "from azure.ai.ml.sweep import Choice\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import SweepMonitor\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"trial = command(code={str(SRC)!r}, command='python train.py --steps 6 --lr ${{{{search_space.lr}}}}', compute='local')\n"
        "sweep = trial.sweep(sampling_algorithm='grid', primary_metric='acc', goal='maximize', compute='local')\n"
        "sweep.search_space = {'lr': Choice([0.5, 5.0, 2.0])}\n"
        "sweep.set_limits(max_total_trials=3, max_concurrent_trials=2)\n"
        "sweep = client.jobs.create_or_update(sweep)\n"
        "monitor = SweepMonitor(client, sweep.name)\nmonitor",
        "assert monitor.wait(240)\nprint('best', monitor.best_trial)",
    ])
    # A tall window: the whole monitor is on screen, so the notebook never scrolls under the mouse.
    with jupyter_server(kind, tmp_path, tmp_path / "server.log") as base, chromium(height=1600) as page:
        run_all_cells(page, base, kind, "sweep.ipynb")
        page.wait_for_selector('.aml-sweep-monitor[data-status="Completed"]', timeout=240_000)
        # The second cell prints once the monitor has stopped, after the display of the first was
        # refreshed with the final state (a new view): interact with that view, as a user would.
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-OutputArea-output')].some(o => o.textContent.includes('best '))",
            timeout=60_000)
        page.wait_for_selector('.aml-sweep-monitor[data-status="Completed"]', timeout=30_000)
        page.wait_for_function("() => document.querySelectorAll('.aml-sweep-monitor path.aml-pc-line').length === 3",
                               timeout=30_000)
        page.wait_for_selector('.aml-sweep-monitor .aml-curves[data-curves="3"][data-points="18"]', timeout=30_000)
        best = page.get_attribute(".aml-sweep-monitor path.aml-pc-best", "data-trial")
        best_row = page.get_attribute(".aml-sweep-monitor tr.aml-best", "data-trial")
        # Brush the top tenth of the metric axis: only the best trial stays active (the runner-up,
        # lr=2.0, sits at 0.79 of the axis; the best at its top).
        wait_settled(page, ".aml-sweep-monitor svg.aml-parcoords")
        # The chart takes the width the page gave the output (a view drawn before layout redraws).
        fits = page.evaluate("""() => { const el = document.querySelector('.aml-sweep-monitor');
            const width = Number(el.querySelector('svg.aml-parcoords').getAttribute('width'));
            return width === Math.max(420, Math.min(900, el.clientWidth - 20)); }""")
        track = page.query_selector('.aml-sweep-monitor .aml-pc-axis[data-axis="acc"] .aml-pc-track').bounding_box()
        x = track["x"] + track["width"] / 2
        page.mouse.move(x, track["y"] + 1)
        page.mouse.down()
        page.mouse.move(x, track["y"] + track["height"] * 0.1, steps=5)
        page.mouse.up()
        brushed = page.is_visible(".aml-sweep-monitor .aml-pc-brush")
        active = page.eval_on_selector_all(".aml-sweep-monitor path.aml-pc-line:not(.aml-pc-dim)",
                                           "els => els.map(e => e.dataset.trial)")
        # Drag the metric axis's title to the far left: it becomes the first axis.
        title = page.query_selector('.aml-sweep-monitor .aml-pc-axis[data-axis="acc"] .aml-pc-title').bounding_box()
        first = page.query_selector('.aml-sweep-monitor .aml-pc-axis[data-axis="lr"] .aml-pc-track').bounding_box()
        page.mouse.move(title["x"] + title["width"] / 2, title["y"] + title["height"] / 2)
        page.mouse.down()
        page.mouse.move(first["x"] - 30, title["y"] + title["height"] / 2, steps=8)
        page.mouse.up()
        order = page.eval_on_selector_all(".aml-sweep-monitor .aml-pc-axis", "els => els.map(e => e.dataset.axis)")
        page.fill(".aml-sweep-monitor input.aml-topk", "2")
        page.dispatch_event(".aml-sweep-monitor input.aml-topk", "change")
        top2 = page.eval_on_selector_all(".aml-sweep-monitor path.aml-pc-line", "els => els.length")
        screenshot(page, f"sweep-monitor-{kind}")
    assert best == best_row and best
    assert fits
    assert brushed
    assert active == [best]
    assert top2 == 2
    assert order == ["acc", "lr"]


def test_job_monitor_updates_while_the_kernel_is_busy(tmp_path):
    """Like `%aml job watch`, the cell shows the monitor and then blocks until the job ends: the
    chart still fills in, since points travel over iopub and gather per model."""
    gate = tmp_path / "gate"
    write_notebook(tmp_path / "busy.ipynb", [
        "from IPython.display import display\n"
        "from azure.ai.ml import command\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import JobMonitor\n"
        f"client = LocalMLClient({str(tmp_path / 'ws')!r})\n"
        f"job = client.jobs.create_or_update(command(code={str(SRC)!r}, compute='local',\n"
        f"    command='python train.py --steps 10 --lr 0.5 --gate {gate}'))\n"
        "monitor = JobMonitor(client, job.name)\n"
        "display(monitor)\n"
        "assert monitor.wait(240)\n"
        "print('watched to the end:', monitor.status)",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, "lab", "busy.ipynb")
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="loss"][data-points="5"]', timeout=120_000)
        # The cell is still executing (its prompt shows [*]) while the chart fills in.
        prompt = page.text_content(".jp-Cell .jp-InputPrompt")
        gate.write_text("go")
        page.wait_for_selector('.aml-job-monitor[data-status="Completed"]', timeout=120_000)
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="loss"][data-points="10"]', timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-OutputArea-output')].some(o => o.textContent.includes('watched to the end: Completed'))",
            timeout=60_000)
        screenshot(page, "job-monitor-busy-kernel-lab")
    assert prompt.strip() == "[*]:"
