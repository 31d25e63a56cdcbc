"""Real browser: the data browser in JupyterLab lists a workspace's data assets and versions,
previews the version clicked (a CSV's first rows, an idx file's digits as images), and registers
a new version from its form; the version lands in the workspace (read back by a separate client)."""

from __future__ import annotations

import gzip
import json
import struct

import pytest

from tests.widgets.browser import chromium, jupyter_server, run_all_cells, screenshot, wait_for, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Two versions with different rows: a preview showing the wrong version's file would fail.
V1 = "city,temp\nOslo,3\nLima,19\n"
V2 = "city,temp\nOslo,4\nCairo,31\nQuito,14\n"
V3 = "city,temp\nNairobi,22\n"
# One grey level per image, so the decoded pixels tell which image is which.
GREYS = [40, 130, 220]


class RegisterIgnored(AssertionError):
    """Register was clicked and nothing happened (the form's `type` field once overwrote the
    action message's own type, so Python ignored the message)."""


PREVIEW_ROWS = """() => {
    const table = document.querySelector('.aml-data-browser .aml-preview-box table.aml-preview');
    if (!table) return null;
    const cells = (sel) => [...table.querySelectorAll(sel)].map((c) => c.textContent);
    return {columns: cells('thead th'),
            rows: [...table.querySelectorAll('tbody tr')].map((r) => [...r.cells].map((c) => c.textContent))};
}"""

# The centre pixel's grey of every preview image, once all of them have decoded.
THUMB_GREYS = """() => {
    const imgs = [...document.querySelectorAll('.aml-data-browser .aml-preview-box img.aml-thumb')];
    if (!imgs.length || !imgs.every((i) => i.complete && i.naturalWidth > 0)) return null;
    return imgs.map((img) => {
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const [r] = g.getImageData(img.naturalWidth >> 1, img.naturalHeight >> 1, 1, 1).data;
        return [img.naturalWidth, img.naturalHeight, r];
    });
}"""


def _preview_is(page, expected: dict) -> None:
    # Compared in the page, so the wait ends on the right preview, not on any preview; compact
    # separators so the text matches JSON.stringify's.
    want = json.dumps(expected, separators=(",", ":"))
    page.wait_for_function(f"() => JSON.stringify(({PREVIEW_ROWS})()) === {json.dumps(want)}", timeout=60_000)


def _workspace_notebook(tmp_path):
    """A notebook that registers weather:1, weather:2 (CSV files) and digits:1 (an idx3 file),
    then shows the browser; returns the workspace folder."""
    ws = tmp_path / "ws"
    for i, text in enumerate([V1, V2], 1):
        (tmp_path / f"weather{i}.csv").write_text(text)
    digits = tmp_path / "digits"
    digits.mkdir()
    with gzip.open(digits / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(GREYS), 28, 28) + b"".join(bytes([g]) * 28 * 28 for g in GREYS))
    write_notebook(tmp_path / "data.ipynb", [
        "from azure.ai.ml.entities import Data\n"
        "from amlmagic.local.client import LocalMLClient\n"
        "from amlmagic.widgets import DataBrowser\n"
        f"client = LocalMLClient({str(ws)!r})\n"
        f"client.data.create_or_update(Data(name='weather', path={str(tmp_path / 'weather1.csv')!r}, type='uri_file'))\n"
        f"client.data.create_or_update(Data(name='weather', path={str(tmp_path / 'weather2.csv')!r}, type='uri_file'))\n"
        f"client.data.create_or_update(Data(name='digits', path={str(digits)!r}, type='uri_folder'))\n"
        "DataBrowser(client)",
    ])
    return ws


def _open(page, base: str) -> None:
    run_all_cells(page, base, "lab", "data.ipynb")
    page.wait_for_selector('.aml-data-browser tr[data-asset="digits:1"]', timeout=90_000)


def test_data_browser_lists_versions_and_previews_the_clicked_one(tmp_path):
    _workspace_notebook(tmp_path)
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        _open(page, base)
        listed = page.evaluate("""() => [...document.querySelectorAll('.aml-data-browser tr[data-asset]')]
            .map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent))""")

        page.locator('.aml-data-browser tr[data-asset="weather:1"]').click()
        _preview_is(page, {"columns": ["city", "temp"], "rows": [["Oslo", "3"], ["Lima", "19"]]})
        page.wait_for_selector('.aml-data-browser tr.aml-selected[data-asset="weather:1"]', timeout=30_000)

        page.locator('.aml-data-browser tr[data-asset="weather:2"]').click()
        _preview_is(page, {"columns": ["city", "temp"], "rows": [["Oslo", "4"], ["Cairo", "31"], ["Quito", "14"]]})
        selected = page.evaluate(
            "() => [...document.querySelectorAll('.aml-data-browser tr.aml-selected')].map((r) => r.dataset.asset)")

        page.locator('.aml-data-browser tr[data-asset="digits:1"]').click()
        page.wait_for_function(f"() => ({THUMB_GREYS})()?.length === {len(GREYS)}", timeout=60_000)
        thumbs = page.evaluate(THUMB_GREYS)
        screenshot(page, "data-browser-digits-lab")

    assert sorted(listed) == sorted([["weather", "2", "uri_file"], ["weather", "1", "uri_file"],
                                     ["digits", "1", "uri_folder"]])
    # Newest version first within an asset, as `az ml data list --name` orders them.
    assert [r[1] for r in listed if r[0] == "weather"] == ["2", "1"]
    assert selected == ["weather:2"]
    assert thumbs == [[28, 28, g] for g in GREYS]


def test_data_browser_registers_a_version_from_its_form(tmp_path):
    # Imported here: without playwright the module must still collect (the test then skips).
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from amlmagic.local.client import LocalMLClient

    ws = _workspace_notebook(tmp_path)
    new_folder = tmp_path / "weather3"
    new_folder.mkdir()
    (new_folder / "rows.csv").write_text(V3)
    with jupyter_server("lab", tmp_path, tmp_path / "server.log") as base, chromium() as page:
        _open(page, base)
        page.locator(".aml-data-browser input.aml-in-name").fill("weather")
        page.locator(".aml-data-browser input.aml-in-path").fill(str(new_folder))
        page.locator(".aml-data-browser input.aml-in-type").fill("uri_folder")
        page.locator(".aml-data-browser input.aml-in-description").fill("third week")
        page.locator(".aml-data-browser button.aml-register").click()
        try:
            # The new row, or an error: either means the kernel acted on the click.
            page.wait_for_selector('.aml-data-browser tr[data-asset="weather:3"], .aml-data-browser .aml-error',
                                   timeout=60_000)
        except PlaywrightTimeout:
            screenshot(page, "data-browser-register-ignored-lab")
            raise RegisterIgnored("Register changed nothing in the page within 60 s") from None
        error = page.locator(".aml-data-browser .aml-error").all_text_contents()
        page.wait_for_selector('.aml-data-browser tr.aml-selected[data-asset="weather:3"]', timeout=30_000)
        _preview_is(page, {"columns": ["city", "temp"], "rows": [["Nairobi", "22"]]})
        line = page.wait_for_selector(".aml-data-browser .aml-line", timeout=30_000).text_content()
        screenshot(page, "data-browser-registered-lab")

    assert error == []
    assert line == f"%aml data create -n weather -t uri_folder -p {new_folder} -d 'third week'"
    reader = LocalMLClient(ws)
    wait_for(lambda: [str(v.version) for v in reader.data.list(name="weather")] == ["3", "2", "1"], 10,
             "version 3 of weather on disk")
    registered = reader.data.get("weather", "3")
    assert registered.type == "uri_folder"
    assert registered.description == "third week"
    assert (reader.data.local_path("weather", "3") / "rows.csv").read_text() == V3
