import base64

from amlmagic.widgets.preview import gray_png, preview_path
from amlmagic.widgets.static import html_card, html_table, png_line_charts, png_parallel


def test_html_is_escaped_and_highlights_a_row():
    table = html_table(["name"], [["<b>x</b>"], ["y"]], highlight=1)
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>x</b>" not in table
    assert table.index("background:#dbeafe") > table.index("&lt;b&gt;")
    assert "&amp;" in html_card("a & b", "")


def test_pngs_only_when_there_is_something_to_draw():
    assert png_line_charts({"loss": ([], [])}) is None
    png = png_line_charts({"loss": ([0, 1, 2], [3.0, 2.0, 1.0])})
    assert base64.b64decode(png)[:4] == b"\x89PNG"
    trials = [{"name": "a", "params": {"lr": 0.1, "opt": "sgd"}, "metric": 0.5},
              {"name": "b", "params": {"lr": 0.2, "opt": "adam"}, "metric": None}]
    assert base64.b64decode(png_parallel(trials, ["lr", "opt"], "acc", "a"))[:4] == b"\x89PNG"
    assert png_parallel([], ["lr"], "acc", None) is None


def test_gray_png_round_trips_through_matplotlib(tmp_path):
    import matplotlib.image

    path = tmp_path / "x.png"
    path.write_bytes(gray_png(bytes([0, 255, 128, 64]), 2, 2))
    pixels = matplotlib.image.imread(path)
    assert pixels.shape == (2, 2)
    assert round(float(pixels[0][1]) * 255) == 255 and round(float(pixels[1][0]) * 255) == 128


def test_preview_of_images_and_other_files(tmp_path):
    (tmp_path / "a.png").write_bytes(gray_png(bytes(4), 2, 2))
    assert preview_path(tmp_path)["kind"] == "images"
    other = tmp_path / "o"
    other.mkdir()
    (other / "notes.txt").write_text("hi")
    assert preview_path(other) == {"kind": "text", "text": "notes.txt"}
