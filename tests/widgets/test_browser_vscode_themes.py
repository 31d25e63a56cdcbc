"""Real browser: every widget as VS Code's notebook renderer shows it, a page that defines VS Code's
theme variables (--vscode-*, set on <html> as VS Code does, no --jp-*): Dark Modern (VS Code's
default), then switched to Light Modern. Every visible text reads at WCAG AA against what is
behind it, the charts' axes too, and the charts follow the switch. The widgets' states are
written here (VS Code cannot run in this sandbox); the bundle, CSS and checks are the real ones."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import time

import pytest

from tests.widgets.browser import ARTIFACTS, REPO, chromium
from tests.widgets.test_browser_themes import AA, BACKDROPS, CANVAS_CONTRAST, NEXT_FRAMES, TEXT_CONTRAST, WIDGETS

pytestmark = [pytest.mark.browser]

# The colours of VS Code's default themes (its dark_modern.json / light_modern.json and defaults).
DARK_MODERN = {"editor-background": "#1f1f1f", "editor-foreground": "#cccccc", "descriptionForeground": "#9d9d9d",
               "input-background": "#313131", "input-foreground": "#cccccc", "input-border": "#3c3c3c",
               "button-secondaryBackground": "#313131", "button-secondaryForeground": "#cccccc",
               "textCodeBlock-background": "#2b2b2b", "editorWidget-border": "#313131",
               "charts-blue": "#3794ff", "charts-red": "#f14c4c", "charts-green": "#89d185",
               "charts-orange": "#d18616", "charts-purple": "#b180d7", "charts-yellow": "#cca700"}
LIGHT_MODERN = {"editor-background": "#ffffff", "editor-foreground": "#3b3b3b", "descriptionForeground": "#3b3b3b",
                "input-background": "#ffffff", "input-foreground": "#3b3b3b", "input-border": "#cecece",
                "button-secondaryBackground": "#e5e5e5", "button-secondaryForeground": "#3b3b3b",
                "textCodeBlock-background": "#f8f8f8", "editorWidget-border": "#e5e5e5",
                "charts-blue": "#1a85ff", "charts-red": "#e51400", "charts-green": "#388a34",
                "charts-orange": "#d18616", "charts-purple": "#652d90", "charts-yellow": "#bf8803"}

# A page with anywidget's model interface over plain state; a monitor's snapshot request is
# answered with its points, as the kernel would.
PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="widgets.css"></head>
<body style="margin:8px;background:var(--vscode-editor-background)">
<script type="module">
import widget from "./widgets.js";
window.amlRender = (kind, state, series) => {
  const handlers = {};
  const emit = (event, ...args) => (handlers[event] || []).forEach((f) => f(...args));
  const points = () => {
    const names = Object.keys(series || {});
    const buffers = names.flatMap((n) => series[n].map((xs) => new DataView(Float64Array.from(xs).buffer)));
    emit("msg:custom", { type: "points", reset: true, metrics: names.map((n) => ({ name: n, start: 0, n: series[n][0].length })) }, buffers);
  };
  const model = { get: (k) => state[k], set: (k, v) => { state[k] = v; emit(`change:${k}`); }, save_changes() {},
    on: (e, f) => { (handlers[e] ??= []).push(f); }, off: () => {},
    send: (msg) => { if (msg.type === "snapshot") setTimeout(points, 0); } };
  state._kind = kind;
  widget.initialize({ model });
  const el = document.createElement("div");
  el.style.marginBottom = "16px";
  document.body.append(el);
  widget.render({ model, el });
};
window.amlReady = true;
</script></body></html>"""

NOW_MS = int(time.time() * 1000) - 60_000
COMMON = {"last_action": "", "error": ""}
STATES = {
    "workspace-explorer": ({"workspace_name": "my-ws", "selected": {"kind": "compute", "name": "cpu"},
                            "details": {"name": "cpu", "type": "amlcompute", "size": "Standard_DS3_v2"},
                            "tree": [{"kind": "compute", "label": "Compute", "count": 2,
                                      "items": [{"name": "local"}, {"name": "cpu", "status": "Succeeded"}]},
                                     {"kind": "jobs", "label": "Jobs", "count": 1,
                                      "items": [{"name": "sweep1", "status": "Completed"}]}]}, None),
    "compute-picker": ({"default_compute": "cpu", "last_action": "%aml compute use -n cpu",
                        "computes": [{"name": "local", "type": "local"},
                                     {"name": "cpu", "type": "amlcompute", "size": "Standard_DS3_v2",
                                      "state": "Succeeded", "instances": 2}]}, None),
    "data-browser": ({"selected": {"name": "weather", "version": "1"},
                      "assets": [{"name": "weather", "versions": [
                          {"version": "2", "type": "uri_file", "path": "weather2.csv", "tags": {"week": "2"}},
                          {"version": "1", "type": "uri_file", "path": "weather1.csv", "tags": {}}]}],
                      "preview": {"kind": "table", "columns": ["city", "temp"], "rows": [["Oslo", 3], ["Lima", 19]]},
                      "error": "registering data needs a name and a path"}, None),
    "environment-builder": ({"name": "my-env", "version": "", "image": "mcr.microsoft.com/azureml/minimal:latest",
                             "conda_packages": "", "pip_packages": "numpy", "build_status": "built: 3 s",
                             "yaml_preview": "name: my-env\nimage: mcr.microsoft.com/azureml/minimal:latest\n",
                             "build_log": "reusing the current Python"}, None),
    "job-monitor": ({"job_name": "nice_lemon", "display_name": "train", "status": "Completed",
                     "started_at_ms": NOW_MS, "ended_at_ms": NOW_MS + 11_000, "log_tail": "step 0\ntraining done\n"},
                    {"loss": [[0, 1, 2, 3], [0.7, 0.5, 0.4, 0.33]], "test_accuracy": [[0], [0.9731]]}),
    "sweep-monitor": ({"job_name": "sw", "display_name": "", "status": "Running", "started_at_ms": NOW_MS,
                       "ended_at_ms": 0, "primary_metric": "acc", "goal": "maximize", "params": ["lr"],
                       "best_trial": "sw_1",
                       "trials": [{"name": "sw_0", "status": "Canceled", "params": {"lr": 0.1}, "metric": 0.5,
                                   "terminated_by": "bandit"},
                                  {"name": "sw_1", "status": "Completed", "params": {"lr": 1.0}, "metric": 0.9},
                                  {"name": "sw_2", "status": "Failed", "params": {"lr": 5.0}, "metric": None},
                                  {"name": "sw_3", "status": "Running", "params": {"lr": 0.5}, "metric": 0.7}]},
                      {"sw_0": [[0, 1], [0.3, 0.5]], "sw_1": [[0, 1, 2], [0.5, 0.8, 0.9]], "sw_3": [[0], [0.7]]}),
    "endpoint-tester": ({"endpoints": [{"name": "sum-ep", "deployments": ["blue", "green"], "traffic": {"blue": 100}}],
                         "endpoint": "sum-ep", "deployment": "", "request_text": '{"data": [[1, 2, 3]]}',
                         "response": '{"sums": [6.0]}', "latency_ms": 2.4, "busy": False}, None),
    "pipeline-graph": ({"job_name": "pl", "display_name": "training-pipeline", "status": "Running",
                        "started_at_ms": NOW_MS, "ended_at_ms": 0, "selected": "train", "monitor": "",
                        "steps": [{"key": "prepare", "job": "pl_prepare", "status": "Completed", "reused": True,
                                   "reason": "reused: same inputs", "elapsed_s": 0, "column": 0, "row": 0},
                                  {"key": "train", "job": "pl_train", "status": "Running", "reused": False,
                                   "reason": "", "elapsed_s": 12, "column": 1, "row": 0},
                                  {"key": "evaluate", "job": "", "status": "NotStarted", "reused": False,
                                   "reason": "waits for train", "elapsed_s": None, "column": 2, "row": 0},
                                  {"key": "report", "job": "pl_report", "status": "Failed", "reused": False,
                                   "reason": "exit code 1", "elapsed_s": 3, "column": 1, "row": 1}],
                        "edges": [{"source": "prepare", "target": "train", "label": "mnist"},
                                  {"source": "train", "target": "evaluate", "label": "model"},
                                  {"source": "prepare", "target": "report", "label": "mnist"}]}, None),
}


def _set_theme(page, colours: dict, body_class: str) -> None:
    """What VS Code does on a theme switch: new variables in <html>'s style, a new <body> class."""
    style = ";".join(f"--vscode-{k}:{v}" for k, v in colours.items())
    page.evaluate("([style, cls]) => { document.documentElement.setAttribute('style', style);"
                  " document.body.className = cls; }", [style, body_class])


@pytest.fixture
def served(tmp_path):
    for name in ("widgets.js", "widgets.css"):
        shutil.copy(REPO / "amlmagic" / "widgets" / "static" / name, tmp_path / name)
    (tmp_path / "index.html").write_text(PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def _check(page, theme: str):
    page.evaluate(NEXT_FRAMES)
    result = page.evaluate(BACKDROPS), page.evaluate(TEXT_CONTRAST), page.evaluate(CANVAS_CONTRAST)
    for name in WIDGETS:
        page.locator(f".aml-{name}").screenshot(path=str(ARTIFACTS / f"{name}-vscode-{theme}.png"))
    return result


def test_every_widget_is_readable_in_vscode_dark_and_light(served):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(height=1400) as page:
        page.goto(served)
        page.wait_for_function("() => window.amlReady")
        _set_theme(page, DARK_MODERN, "vscode-dark")
        for name, (state, series) in STATES.items():
            page.evaluate("([kind, state, series]) => amlRender(kind, state, series)",
                          [name.replace("-", "_"), {**COMMON, **state}, series])
        page.click('.aml-workspace-explorer [data-group="compute"] .aml-group-head')
        page.wait_for_selector('.aml-job-monitor .aml-chart[data-metric="test_accuracy"][data-points="1"]')
        page.wait_for_selector('.aml-sweep-monitor .aml-curves[data-curves="3"]')
        dark = _check(page, "dark")
        _set_theme(page, LIGHT_MODERN, "vscode-light")
        light = _check(page, "light")
    for theme, (_backdrops, texts, charts) in {"dark": dark, "light": light}.items():
        assert {t["widget"] for t in texts} == {f"aml-{name}" for name in WIDGETS}
        poor = sorted((t for t in texts if t["ratio"] < AA), key=lambda t: t["ratio"])
        assert not poor, f"VS Code {theme}: {len(poor)} of {len(texts)} texts below {AA}:1: {poor[:20]}"
        assert len(charts) == 3 and all(c["axes"] >= AA for c in charts), (theme, charts)
        lone = next(c for c in charts if c["chart"] == "test_accuracy")
        assert lone["marks"] >= 20 and lone["label"] == "0.9731", lone
    # The page had the theme each pass meant: VS Code's editor background behind every widget.
    assert max(dark[0]) < 0.02 and min(light[0]) > 0.99, (dark[0], light[0])
