"""Real browser: in JupyterLab, typing into the environment builder updates its live CLI v2 YAML
preview; Create registers the environment (read back by a separate client), writes the YAML the
recorded `%aml` line points at, and the local build goes from building to built."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IMAGE = "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference:20240101"
# Both are installed in this interpreter: the local build reuses it, no network needed. The
# comma inside the first specifier must not split it into two packages.
PIP = ["pyyaml>=6,<7", "packaging"]

# Every build status text the page ever showed: views re-render by replacing nodes, and an added
# node keeps its text, so a "building" shown for a moment is still recorded.
WATCH_STATUS = """() => {
    window.__amlStatuses = [];
    new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) {
            if (!(n instanceof Element)) continue;
            const spans = n.matches('.aml-build-status') ? [n] : [...n.querySelectorAll('.aml-build-status')];
            for (const s of spans) window.__amlStatuses.push(s.textContent);
        }
    }).observe(document.body, {childList: true, subtree: true});
}"""


def _yaml_has(page, *parts: str) -> None:
    page.wait_for_function(
        f"""() => {{ const t = document.querySelector('.aml-environment-builder pre.aml-yaml')?.textContent || '';
                    return {json.dumps(list(parts))}.every((p) => t.includes(p)); }}""", timeout=60_000)


def test_environment_builder_previews_creates_and_builds(tmp_path):
    from amlmagic.local.client import LocalMLClient

    ws = tmp_path / "ws"
    write_notebook(tmp_path / "env.ipynb", [
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import EnvironmentBuilder\n"
        f"EnvironmentBuilder(LocalMLClient({str(ws)!r}))",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, "lab", "env.ipynb")
        page.wait_for_selector(".aml-environment-builder pre.aml-yaml", timeout=90_000)
        _yaml_has(page, "name: my-env")
        page.locator(".aml-environment-builder input.aml-in-name").fill("browser-env")
        # Typed key by key, as a person would: every keystroke round-trips through the kernel,
        # and an echo arriving mid-typing must not eat characters.
        image = page.locator(".aml-environment-builder input.aml-in-image")
        image.fill("")
        image.press_sequentially(IMAGE, delay=20)
        # Filled at once, like a paste (typing Enter in the box is its own test below).
        page.locator(".aml-environment-builder textarea.aml-in-pip_packages").fill("\n".join(PIP))
        _yaml_has(page, "name: browser-env", IMAGE, *PIP)
        preview = yaml.safe_load(page.text_content(".aml-environment-builder pre.aml-yaml"))
        typed = page.input_value(".aml-environment-builder input.aml-in-image")
        screenshot(page, "environment-builder-preview-lab")

        page.evaluate(WATCH_STATUS)
        page.locator(".aml-environment-builder button.aml-create").click()
        page.wait_for_function(
            """() => /^(built|failed)/.test(
                   document.querySelector('.aml-environment-builder .aml-build-status')?.textContent || '')""",
            timeout=180_000)
        status = page.text_content(".aml-environment-builder .aml-build-status")
        log = page.text_content(".aml-environment-builder pre.aml-log")
        line = page.wait_for_selector(".aml-environment-builder .aml-line", timeout=30_000).text_content()
        error = page.locator(".aml-environment-builder .aml-error").all_text_contents()
        seen = page.evaluate("() => window.__amlStatuses")
        screenshot(page, "environment-builder-built-lab")

    assert typed == IMAGE
    assert preview["name"] == "browser-env" and preview["image"] == IMAGE
    assert preview["conda_file"]["dependencies"][-1] == {"pip": PIP}
    assert error == []
    assert line == "%aml environment create --file environments/browser-env.yml"
    # The file the line points at (relative to the notebook, the kernel's working folder).
    assert yaml.safe_load((tmp_path / "environments" / "browser-env.yml").read_text()) == preview
    env = LocalMLClient(ws).environments.get("browser-env", "1")
    assert env.image == IMAGE
    assert env.conda_file["dependencies"][-1] == {"pip": PIP}
    assert status.startswith("built: "), status
    assert "the current Python has every requirement; reusing it" in log
    assert "building" in seen and seen.index("building") < seen.index(status), seen


def test_enter_in_the_pip_box_starts_a_new_line(tmp_path):
    write_notebook(tmp_path / "env.ipynb", [
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import EnvironmentBuilder\n"
        f"EnvironmentBuilder(LocalMLClient({str(tmp_path / 'ws')!r}))",
    ])
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        run_all_cells(page, base, "lab", "env.ipynb")
        pip = page.locator(".aml-environment-builder textarea.aml-in-pip_packages")
        pip.wait_for(timeout=90_000)
        pip.click()
        pip.press_sequentially("pyyaml\npackaging", delay=30)
        # Whatever the box ends up holding, the preview shows once the kernel has seen it all.
        _yaml_has(page, "packaging")
        typed = pip.input_value()
    assert typed == "pyyaml\npackaging"
