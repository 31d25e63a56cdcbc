"""Real-browser harness: a JupyterLab or Notebook 7 server on 127.0.0.1 (no token) and
Debian's Chromium driven by playwright through `executable_path`."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support import wait_for  # noqa: F401  (re-exported; importable without pytest: benchmarks use it)

__all__ = ["CHROMIUM", "ARTIFACTS", "skip_reason", "jupyter_server", "chromium", "write_notebook",
           "run_all_cells", "wait_for", "wait_settled", "REPO"]

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent: apt-get install chromium to run the browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




@contextlib.contextmanager
def jupyter_server(kind: str, root_dir: Path, log_path: Path, settings: dict[str, dict] | None = None):
    """Start `jupyter lab` or `jupyter notebook` on a free 127.0.0.1 port; yield its base URL.
    `settings` are the user's settings, by plugin: e.g. {"@jupyterlab/apputils-extension:themes":
    {"theme": "JupyterLab Dark"}}, kept in a settings folder of the server's own."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               JUPYTER_PLATFORM_DIRS="1")
    if settings:
        folder = root_dir / ".jupyterlab-settings"
        for plugin, values in settings.items():
            package, name = plugin.split(":")
            path = folder / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env["JUPYTERLAB_SETTINGS_DIR"] = str(folder)
    app = "jupyterlab" if kind == "lab" else "notebook"
    cmd = [sys.executable, "-m", app, "--no-browser", "--ServerApp.token=", "--ServerApp.password=",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={root_dir}", "--ServerApp.disable_check_xsrf=True",
           "--expose-app-in-browser", "--ServerApp.open_browser=False", "--allow-root"]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root_dir)
    base = f"http://127.0.0.1:{port}"

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"jupyter {kind} exited: see {log_path}")
        try:
            with urllib.request.urlopen(f"{base}/api/status", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_for(up, 90, f"jupyter {kind} to answer on {base}", every=0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium(height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": height})
            yield page
        finally:
            browser.close()


def write_notebook(path: Path, cells: list[str]) -> Path:
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": src} for src in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path


def run_all_cells(page, base: str, kind: str, notebook: str) -> None:
    """Open the notebook, wait for its kernel, and run every cell through the app's commands."""
    url = f"{base}/lab/tree/{notebook}" if kind == "lab" else f"{base}/notebooks/{notebook}"
    page.goto(url)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=90_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                   return k && k.connectionStatus === 'connected' && k.status === 'idle'; }""",
        timeout=90_000)
    # Not awaited: the command's promise settles only when the last cell ends.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def wait_settled(page, selector: str, timeout: float = 30, quiet: float = 1.0) -> dict:
    """The element's box once it has not moved or been replaced for `quiet` seconds. Mouse
    gestures aim at coordinates: a notebook still re-measuring cells, or an output re-rendered
    with its final state, would move the target between aiming and pressing."""
    import time

    probe = f"""() => {{ const el = document.querySelector({json.dumps(selector)});
        if (!el) return null;
        el.__amlProbe ??= Math.random();
        const r = el.getBoundingClientRect();
        return [el.__amlProbe, r.x, r.y, r.width, r.height]; }}"""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = page.evaluate(probe)
        if now != last or now is None:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return dict(zip(("x", "y", "width", "height"), now[1:], strict=True))
        time.sleep(0.1)
    raise AssertionError(f"{selector} kept moving or changing for {timeout} s")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
