import gzip
import struct

from amlmagic.widgets import DataBrowser


def test_register_then_preview_csv(client, recorded, tmp_path):
    folder = tmp_path / "table"
    folder.mkdir()
    (folder / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    browser = DataBrowser(client)
    assert browser.assets == []
    browser.act("register", name="table", path=str(folder), type="uri_folder", description="")
    assert browser.error == ""
    assert recorded == [f"%aml data create -n table -t uri_folder -p {folder}"]
    assert [(a["name"], [v["version"] for v in a["versions"]]) for a in browser.assets] == [("table", ["1"])]
    assert browser.selected == {"name": "table", "version": "1"}
    assert browser.preview == {"kind": "table", "columns": ["a", "b"], "rows": [["1", "2"], ["3", "4"]],
                               "source": "rows.csv"}
    browser.act("register", name="table", path=str(folder), type="uri_folder", description="again")
    assert [v["version"] for v in browser.assets[0]["versions"]] == ["2", "1"]


def test_preview_of_idx_images_is_a_grid_of_pngs(client, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    pixels = bytes(i % 256 for i in range(28 * 28))
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, 3, 28, 28) + pixels * 3)
    browser = DataBrowser(client)
    browser.act("register", name="digits", path=str(folder), type="uri_folder", description="")
    assert browser.preview["kind"] == "images"
    assert len(browser.preview["images"]) == 3
    assert browser.preview["images"][0].startswith("data:image/png;base64,iVBORw0KGgo")


def test_register_without_a_path_is_a_user_error(client, recorded):
    browser = DataBrowser(client)
    browser.act("register", name="x", path="", type="uri_folder", description="")
    assert "path" in browser.error and recorded == []
