"""Real browser: every widget in one JupyterLab notebook, first in JupyterLab Light, then switched
to JupyterLab Dark as a user does. In both themes every visible piece of text (HTML, SVG, form
fields, placeholders) reads at WCAG AA contrast (>= 4.5:1) against the background actually behind
it, and the canvas charts' axis labels too; the charts follow the switch without new data. A
metric logged once is a dot with its value in the live chart. Screenshots of each widget in each
theme go to tests/artifacts/ beside the other browser tests' ones."""

from __future__ import annotations

import json

import pytest

from tests.widgets.browser import ARTIFACTS, chromium, jupyter_server, run_all_cells, screenshot, write_notebook
from tests.widgets.test_endpoint_tester import endpoint  # noqa: F401  (fixture)
from tests.widgets.test_job_monitor import SRC

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDGETS = {"workspace-explorer": "WorkspaceExplorer(client)", "compute-picker": "ComputePicker(client)",
           "data-browser": "DataBrowser(client)", "environment-builder": "EnvironmentBuilder(client)",
           "job-monitor": "JobMonitor(client, {job!r})", "sweep-monitor": "SweepMonitor(client, {sweep!r})",
           "endpoint-tester": "EndpointTester(client)", "pipeline-graph": "PipelineGraph(client, {pipeline!r})"}
AA = 4.5  # WCAG 2 AA, normal-size text
TEST_ACCURACY = 0.9731

# Colour arithmetic in the page, on the colours the page computed (rgb(), color(srgb ...), names
# alike: a 1x1 canvas turns any of them into RGBA bytes).
COLOURS = r"""
const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
const rgba = (css) => {
  probe.clearRect(0, 0, 1, 1); probe.fillStyle = 'rgba(0, 0, 0, 0)'; probe.fillStyle = css; probe.fillRect(0, 0, 1, 1);
  const d = probe.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255];
};
const over = (top, below) => {
  const a = top[3] + below[3] * (1 - top[3]);
  return [0, 1, 2].map((i) => (top[i] * top[3] + below[i] * below[3] * (1 - top[3])) / a).concat([a]);
};
// What is behind an element: its background and its ancestors' (an SVG text: first its node's
// shape), composited from the first opaque one up (the page's white canvas under everything).
const backdrop = (el) => {
  const layers = [];
  // SVG text drawn over a shape of its group (a graph's node) sits on that shape's fill.
  const shape = el instanceof SVGTextElement ? el.parentElement?.querySelector(':scope > rect') : null;
  if (shape) { const f = rgba(getComputedStyle(shape).fill); if (f[3] > 0) layers.push(f); }
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  return layers.reverse().reduce((bg, c) => over(c, bg), [255, 255, 255, 1]);
};
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
"""

# Every visible text of every widget: its colour (SVG text: its fill; an empty field: its
# placeholder's) over what is behind it. Disabled controls are left out, as WCAG 1.4.3 does.
TEXT_CONTRAST = "() => {" + COLOURS + r"""
  const out = [];
  for (const root of document.querySelectorAll('.aml-widget')) {
    const widget = [...root.classList].find((c) => c !== 'aml-widget' && c.startsWith('aml-'));
    for (const el of root.querySelectorAll('*')) {
      if (el.closest(':disabled') || el.closest('option, title')) continue;
      const field = el.matches('input, textarea, select');
      const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
      if (!own && !field) continue;
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (!box.width || !box.height || style.visibility !== 'visible') continue;
      let text = own, colour = el instanceof SVGElement ? style.fill : style.color;
      if (field) {
        text = el.tagName === 'SELECT' ? (el.selectedOptions[0]?.text || '') : el.value;
        if (!text && el.placeholder) { text = el.placeholder; colour = getComputedStyle(el, '::placeholder').color; }
        if (!text) continue;
      }
      const bg = backdrop(el);
      out.push({ widget, text: text.slice(0, 40), tag: el.tagName.toLowerCase(), cls: String(el.className?.baseVal ?? el.className),
        ratio: +ratio(over(rgba(colour), bg), bg).toFixed(2), colour, bg: bg.map((v) => Math.round(v)) });
    }
  }
  return out;
}"""

# The uPlot canvases: the best contrast of any pixel outside the plot area (the axes' labels),
# and how many opaque pixels inside it stand out at 3:1 (WCAG 1.4.11, graphics).
CANVAS_CONTRAST = "() => {" + COLOURS + r"""
  return [...document.querySelectorAll('.aml-widget .uplot')].map((u) => {
    const canvas = u.querySelector('canvas');
    const c = canvas.getBoundingClientRect(), p = u.querySelector('.u-over').getBoundingClientRect();
    const sx = canvas.width / c.width, sy = canvas.height / c.height;
    const [x0, x1, y0, y1] = [(p.left - c.left) * sx, (p.right - c.left) * sx, (p.top - c.top) * sy, (p.bottom - c.top) * sy];
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const bg = backdrop(canvas);
    let axes = 1, marks = 0;
    for (let y = 0; y < canvas.height; y++) for (let x = 0; x < canvas.width; x++) {
      const i = (y * canvas.width + x) * 4, a = data[i + 3] / 255;
      if (!a) continue;
      const r = ratio(over([data[i], data[i + 1], data[i + 2], a], bg), bg);
      if (x < x0 || x >= x1 || y < y0 || y >= y1) axes = Math.max(axes, r);
      else if (a > 0.9 && r >= 3) marks++;
    }
    const label = u.querySelector('.aml-point-value:not([hidden])');
    const l = label?.getBoundingClientRect();
    return { chart: u.closest('[data-metric]')?.dataset.metric || u.querySelector('.u-title')?.textContent,
      axes: +axes.toFixed(2), marks, label: label?.textContent ?? null,
      labelInPlot: !!l && l.left >= p.left && l.right <= p.right + 40 && l.top >= p.top && l.bottom <= p.bottom };
  });
}"""

# The luminance of what is behind each widget: the theme the page is in.
BACKDROPS = "() => {" + COLOURS + "return [...document.querySelectorAll('.aml-widget')].map((el) => lum(backdrop(el))); }"

NEXT_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


PIPELINE = """\
type: pipeline
display_name: themed-pipeline
settings: {default_compute: azureml:local}
jobs:
  prepare:
    command: echo prepared > ${{outputs.out}}/x.txt
    environment: azureml:AzureML-sklearn-1.5@latest
    outputs: {out: {type: uri_folder}}
  train:
    command: cat ${{inputs.data}}/x.txt
    environment: azureml:AzureML-sklearn-1.5@latest
    inputs: {data: "${{parent.jobs.prepare.outputs.out}}"}
"""


def _submit_runs(client, folder):
    """A finished-soon job with a metric logged once, a two-trial sweep, a two-step pipeline."""
    from azure.ai.ml import command, load_job
    from azure.ai.ml.sweep import Choice

    job = client.jobs.create_or_update(command(
        code=str(SRC), compute="local", display_name="themed-train",
        command=f"python train.py --steps 6 --lr 0.5 --test-accuracy {TEST_ACCURACY}"))
    trial = command(code=str(SRC), command="python train.py --steps 4 --lr ${{search_space.lr}}", compute="local")
    sweep = trial.sweep(sampling_algorithm="grid", primary_metric="acc", goal="maximize", compute="local")
    sweep.search_space = {"lr": Choice([0.5, 2.0])}
    sweep.set_limits(max_total_trials=2, max_concurrent_trials=2)
    (folder / "pipeline.yml").write_text(PIPELINE)
    pipeline = client.jobs.create_or_update(load_job(folder / "pipeline.yml"))
    return job.name, client.jobs.create_or_update(sweep).name, pipeline.name


def _check(page, theme: str) -> tuple[list[float], list[dict], list[dict]]:
    page.evaluate(NEXT_FRAMES)  # a theme switch redraws the charts in the next frame
    backdrops, texts, charts = page.evaluate(BACKDROPS), page.evaluate(TEXT_CONTRAST), page.evaluate(CANVAS_CONTRAST)
    for name in WIDGETS:
        widget = page.locator(f".aml-{name}")
        widget.scroll_into_view_if_needed()
        widget.screenshot(path=str(ARTIFACTS / f"{name}-{theme}-lab.png"))
    screenshot(page, f"all-widgets-{theme}-lab")
    (ARTIFACTS / f"contrast-{theme}-lab.json").write_text(json.dumps({"texts": texts, "charts": charts}, indent=1))
    return backdrops, texts, charts


def _assert_readable(texts: list[dict], charts: list[dict], theme: str) -> None:
    checked = {t["widget"] for t in texts}
    assert checked == {f"aml-{name}" for name in WIDGETS}, f"{theme}: no text checked in {set(WIDGETS) - checked}"
    poor = sorted((t for t in texts if t["ratio"] < AA), key=lambda t: t["ratio"])
    assert not poor, f"{theme}: {len(poor)} of {len(texts)} texts below {AA}:1, worst first:\n" + "\n".join(
        json.dumps(t) for t in poor[:25])
    assert len(charts) >= 4, charts  # loss, acc, test_accuracy, the sweep's curves
    assert all(c["axes"] >= AA for c in charts), f"{theme}: chart axis labels below {AA}:1: {charts}"


def test_every_widget_is_readable_in_light_and_dark_jupyterlab(tmp_path, client, endpoint):  # noqa: F811
    from azure.ai.ml.entities import AmlCompute, Data

    client.compute.begin_create_or_update(AmlCompute(name="cpu", max_instances=2))
    (tmp_path / "weather.csv").write_text("city,temp\nOslo,3\nLima,19\n")
    client.data.create_or_update(Data(name="weather", path=str(tmp_path / "weather.csv"), type="uri_file"))
    job, sweep, pipeline = _submit_runs(client, tmp_path)
    write_notebook(tmp_path / "themes.ipynb", [
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import (WorkspaceExplorer, ComputePicker, DataBrowser, EnvironmentBuilder,\n"
        "    JobMonitor, SweepMonitor, EndpointTester, PipelineGraph)\n"
        f"client = LocalMLClient({str(client.root)!r})",
        *(code.format(job=job, sweep=sweep, pipeline=pipeline) for code in WIDGETS.values()),
    ])
    # Every cell attached to the page (JupyterLab otherwise detaches those scrolled out of view),
    # and no news toast over the screenshots.
    settings = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
                "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}
    with (jupyter_server("lab", tmp_path, tmp_path / "server.log", settings=settings) as base,
          chromium(height=1200) as page):
        run_all_cells(page, base, "lab", "themes.ipynb")
        page.wait_for_selector('.aml-job-monitor[data-status="Completed"]', timeout=180_000)
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="test_accuracy"][data-points="1"]',
                               timeout=30_000)
        page.wait_for_selector('.aml-sweep-monitor[data-status="Completed"]', timeout=240_000)
        page.wait_for_selector('.aml-sweep-monitor .aml-curves[data-curves="2"]', timeout=30_000)
        page.wait_for_selector('.aml-pipeline-graph[data-status="Completed"]', timeout=120_000)
        # Each widget in a state with its highlights, answers and messages showing.
        page.click('.aml-compute-picker tr[data-compute="cpu"]')
        page.wait_for_selector('.aml-compute-picker tr.aml-selected[data-compute="cpu"]', timeout=30_000)
        page.click('.aml-data-browser tr[data-asset="weather:1"]')
        page.wait_for_selector(".aml-data-browser table.aml-preview", timeout=30_000)
        page.click(".aml-data-browser button.aml-register")  # an empty form: an error line
        page.wait_for_selector(".aml-data-browser .aml-error", timeout=30_000)
        page.click('.aml-workspace-explorer [data-group="compute"] .aml-group-head')
        page.click('.aml-workspace-explorer .aml-node[data-name="cpu"]')
        page.wait_for_selector(".aml-workspace-explorer .aml-details .aml-open", timeout=30_000)
        page.click(".aml-endpoint-tester .aml-send-json")
        page.wait_for_selector(".aml-endpoint-tester .aml-response", timeout=60_000)

        light_backdrops, light_texts, light_charts = _check(page, "light")
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
        dark_backdrops, dark_texts, dark_charts = _check(page, "dark")
    _assert_readable(light_texts, light_charts, "light")
    _assert_readable(dark_texts, dark_charts, "dark")
    # Each pass saw the theme it meant: the widgets sit on white, then on near-black.
    assert len(light_backdrops) == len(dark_backdrops) == len(WIDGETS)
    assert min(light_backdrops) > 0.9 and max(dark_backdrops) < 0.05, (light_backdrops, dark_backdrops)
    lone = [c for c in light_charts + dark_charts if c["chart"] == "test_accuracy"]
    assert len(lone) == 2
    for chart in lone:
        assert chart["marks"] >= 20, f"the lone test_accuracy point is not drawn: {chart}"
        assert chart["label"] == str(TEST_ACCURACY) and chart["labelInPlot"], chart
